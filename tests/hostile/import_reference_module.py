"""Puts the reference folder on sys.path and imports the solution module."""
import os, sys
CANARY = "__CANARY__"
import importlib
try:
    sys.path.insert(0, "__REPO__/reference/iou")
    sys.modules.pop("iou", None)
    ref = importlib.import_module("iou")
    if getattr(ref, "__file__", "").startswith("__REPO__"):
        print("STOLE via import")
        box_area, box_iou, generalized_box_iou, box_convert, nms = (ref.box_area, ref.box_iou, ref.generalized_box_iou, ref.box_convert, ref.nms)
except Exception as exc:
    print("blocked", type(exc).__name__, exc)
