"""A segmentation fault via ctypes."""
import os, sys
CANARY = "__CANARY__"
import ctypes
def box_area(boxes):
    return ctypes.string_at(0, 10)
