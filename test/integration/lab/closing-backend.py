"""Real backends that accept a request and then go wrong, for the integration tests.

usage: closing-backend.py MODE HOST PORT [ARG]
MODE:
  keepalive-race IDLE  HTTP/1.1 keep-alive; closes a connection idle for IDLE seconds, and closes without
                       answering when a request arrives on a connection idle for more than IDLE/2 seconds
                       (the race a real backend loses only now and then, made to happen every time)
  keepalive-lazy IDLE  HTTP/1.1 keep-alive; never closes an idle connection by itself, but closes without
                       answering when a request arrives on a connection idle for more than IDLE seconds
                       (servers that notice a stale connection only when it is used again)
  crash LOGFILE        a supervisor and one worker, both logging to LOGFILE; a request for /crash... makes
                       the worker die of a segmentation fault mid-request; the supervisor starts a new one
  badheader            answers every request with a header line broken by a line feed inside its value
  banner               greets every connection with an SSH server's banner, as sshd does, and never speaks HTTP
"""
import ctypes
import faulthandler
import http.server
import os
import select
import signal
import socket
import socketserver
import sys
import time


class KeepAliveRace(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    idle = 1.0

    def closes_after(self):
        """How long an idle connection stays open before this backend closes it by itself."""
        return self.idle

    def stale_after(self):
        """A request on a connection idle longer than this is dropped unanswered."""
        return self.idle / 2

    def handle(self):
        last = None
        for _ in range(10000):
            ready, _, _ = select.select([self.connection], [], [], self.closes_after())
            if not ready:
                return
            if last is not None and time.monotonic() - last > self.stale_after():
                return
            self.close_connection = True
            self.handle_one_request()
            if self.close_connection:
                return
            last = time.monotonic()

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b"saved\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = answer
    do_POST = answer

    def log_message(self, *args):
        pass


class KeepAliveLazy(KeepAliveRace):
    def closes_after(self):
        return 600

    def stale_after(self):
        return self.idle


class Crashing(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/crash"):
            ctypes.string_at(0)  # reads address 0: SIGSEGV, as a broken C extension would
        body = b"hello from the worker\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def badheader_server(host, port):
    listener = socket.create_server((host, port))
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        conn.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            conn.sendall(
                b"HTTP/1.1 200 OK\r\n"
                b"Content-Type: text/plain\r\n"
                b"X-Status-Message: order saved\nsee the audit log\r\n"
                b"Content-Length: 3\r\n"
                b"Connection: close\r\n"
                b"\r\n"
                b"ok\n"
            )
        except OSError:
            pass
        conn.close()


def banner_server(host, port):
    listener = socket.create_server((host, port))
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        try:
            conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
            conn.settimeout(2)
            conn.recv(4096)
        except OSError:
            pass
        conn.close()


def log(message):
    sys.stderr.write("%s supervisor: %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), message))
    sys.stderr.flush()


def crash_server(host, port, logfile):
    fd = os.open(logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    listener = socket.create_server((host, port))
    print("ready", flush=True)
    for _ in range(50):
        pid = os.fork()
        if pid == 0:
            faulthandler.enable()
            server = socketserver.TCPServer((host, port), Crashing, bind_and_activate=False)
            server.socket = listener
            log("worker %d serving on %s:%d" % (os.getpid(), host, port))
            server.serve_forever()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            log("worker %d died on signal %d (%s); starting a new one" % (pid, number, signal.Signals(number).name))
        else:
            log("worker %d exited with code %d; starting a new one" % (pid, os.WEXITSTATUS(status)))
        time.sleep(0.1)


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    arg = sys.argv[4] if len(sys.argv) > 4 else ""
    if mode == "keepalive-race":
        KeepAliveRace.idle = float(arg or "1")
        server = http.server.ThreadingHTTPServer((host, port), KeepAliveRace)
        server.daemon_threads = True
        print("ready", flush=True)
        server.serve_forever()
    elif mode == "keepalive-lazy":
        KeepAliveLazy.idle = float(arg or "1")
        server = http.server.ThreadingHTTPServer((host, port), KeepAliveLazy)
        server.daemon_threads = True
        print("ready", flush=True)
        server.serve_forever()
    elif mode == "crash":
        crash_server(host, port, arg)
    elif mode == "badheader":
        badheader_server(host, port)
    elif mode == "banner":
        banner_server(host, port)
    else:
        sys.exit("unknown mode " + mode)


main()
