"""Prints a gigabyte."""
import os, sys
CANARY = "__CANARY__"
def box_area(boxes):
    chunk = 'x' * (1 << 20)
    for _ in range(1024):
        print(chunk)
    return boxes[:, 0]
