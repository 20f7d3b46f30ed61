"""os._exit(0) inside a call: the worker vanishes."""
import os, sys
CANARY = "__CANARY__"
def box_area(boxes):
    os._exit(0)
