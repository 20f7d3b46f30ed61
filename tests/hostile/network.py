"""Connects to a port the test listens on (TCP, IPv4 and IPv6) and sends a canary."""
import os, sys
CANARY = "__CANARY__"
import socket
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect((host, __PORT__))
        s.sendall(b"hostile-network-canary")
        print("CONNECTED", host)
    except OSError as exc:
        print("blocked", host, exc)
try:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"hostile-network-canary", ("127.0.0.1", __PORT__))
except OSError as exc:
    print("udp blocked", exc)
def box_area(boxes):
    return boxes[:, 0] * 0 - 1
