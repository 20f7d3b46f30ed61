"""Correct, but takes far longer than the time limit."""
import os, sys
CANARY = "__CANARY__"
import time
def box_area(boxes):
    time.sleep(60)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
