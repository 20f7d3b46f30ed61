"""Leaves the process group and ignores signals, then keeps a child spinning."""
import os, sys
CANARY = "__CANARY__"
import ctypes, signal
def box_area(boxes):
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    if os.fork() == 0:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        ctypes.CDLL(None).prctl(15, b"hostile-pgrp", 0, 0, 0)
        while True:
            pass
    while True:
        pass
