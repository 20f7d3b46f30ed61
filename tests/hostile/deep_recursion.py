"""Unbounded recursion with the recursion limit lifted."""
import os, sys
CANARY = "__CANARY__"
sys.setrecursionlimit(10**8)
def _r(n):
    return _r(n + 1) + 1
def box_area(boxes):
    return _r(0)
