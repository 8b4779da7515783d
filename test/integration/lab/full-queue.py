"""A listening socket whose accept queue is full: it listens, connects to itself until the queue is full, never accepts.

usage: full-queue.py unix PATH | full-queue.py tcp HOST PORT
A full unix queue refuses the next connect() at once (EAGAIN); a full TCP queue drops the next SYN, so
the client's connect times out.
"""
import os
import socket
import sys
import time

QUEUE = 1

if sys.argv[1] == "unix":
    path = sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    os.chmod(path, 0o777)
    address, family = path, socket.AF_UNIX
else:
    server = socket.socket(socket.AF_INET)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    address, family = (sys.argv[2], int(sys.argv[3])), socket.AF_INET
    server.bind(address)
server.listen(QUEUE)
held = []
# The kernel takes QUEUE + 1 connections before the queue counts as full.
for _ in range(QUEUE + 1):
    client = socket.socket(family)
    client.settimeout(2)
    client.connect(address)
    held.append(client)
time.sleep(0.2)
print("ready", len(held), flush=True)
while True:
    time.sleep(60)
