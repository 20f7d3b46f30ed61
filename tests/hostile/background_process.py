"""Double fork + setsid: a daemon that outlives the call and writes a canary later."""
import os, sys
CANARY = "__CANARY__"
import ctypes, time
def box_area(boxes):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            ctypes.CDLL(None).prctl(15, b"hostile-bg", 0, 0, 0)
            for _ in range(600):
                time.sleep(0.1)
                for path in (CANARY + "/background", "/tmp/hostile-background-canary"):
                    try:
                        open(path, "w").write("still alive")
                    except OSError:
                        pass
        os._exit(0)
    return boxes[:, 0] * 0 - 1
