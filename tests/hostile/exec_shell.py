"""Runs a shell and writes through it; execs setuid binaries."""
import os, sys
CANARY = "__CANARY__"
import subprocess
def box_area(boxes):
    for cmd in (["/bin/sh", "-c", f"echo x > {CANARY}/shell"], ["/usr/bin/sudo", "-n", "true"], ["/bin/su", "-c", "true"],
                [sys.executable, "-c", f"open('{CANARY}/python-child', 'w').write('x')"]):
        try:
            print(cmd[0], subprocess.run(cmd, capture_output=True, timeout=5).returncode)
        except Exception as exc:
            print("blocked", cmd[0], type(exc).__name__, exc)
    return boxes[:, 0] * 0 - 1
