"""Hangs at import."""
import os, sys
CANARY = "__CANARY__"
while True:
    pass
