"""Hangs in a call."""
import os, sys
CANARY = "__CANARY__"
def box_area(boxes):
    while True:
        pass
