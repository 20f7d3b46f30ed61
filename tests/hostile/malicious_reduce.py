"""Returns an object whose __reduce__ would write a canary if unpickled."""
import os, sys
CANARY = "__CANARY__"
class Evil:
    def __reduce__(self):
        return (open, (CANARY + "/reduce-ran", "w"))
def box_area(boxes):
    return Evil()
