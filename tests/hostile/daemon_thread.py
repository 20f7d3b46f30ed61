"""A daemon thread spinning forever from import on."""
import os, sys
CANARY = "__CANARY__"
import threading
def _spin():
    while True:
        pass
threading.Thread(target=_spin, daemon=True).start()
def box_area(boxes):
    return boxes.sum(dim=1)
