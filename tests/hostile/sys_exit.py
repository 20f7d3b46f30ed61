"""sys.exit inside a call, then at import of a second name."""
import os, sys
CANARY = "__CANARY__"
def box_area(boxes):
    sys.exit(0)
