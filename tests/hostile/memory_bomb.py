"""Allocates until it is stopped."""
import os, sys
CANARY = "__CANARY__"
def box_area(boxes):
    hog = []
    while True:
        hog.append(bytearray(64 << 20))
