"""A small real HTTP backend for the integration tests.

usage: backend.py tcp HOST PORT MODE [ARG] | backend.py unix PATH OCTAL_MODE MODE [ARG]
MODE: ok (200 "hello"), slow SECONDS (sleeps, then 200),
      bigheader BYTES (200 with about BYTES of response header), status502 (answers 502 itself)
"""
import http.server
import os
import socket
import socketserver
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    mode = "ok"
    arg = ""

    def do_GET(self):
        if self.mode == "slow":
            time.sleep(float(self.arg))
        if self.mode == "status502":
            body = b"backend says: bad gateway\n"
            self.send_response(502)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        body = b"hello from the backend\n"
        self.send_response(200)
        if self.mode == "bigheader":
            # Cookies of about 1 KB each until the header reaches about BYTES.
            for i in range(max(1, int(self.arg) // 1024)):
                self.send_header("Set-Cookie", "c%d=%s" % (i, "x" * 1000))
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


class TcpServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class TcpServer6(TcpServer):
    address_family = socket.AF_INET6


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("unix", 0)


def main():
    kind = sys.argv[1]
    if kind == "tcp":
        host, port, mode = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        Handler.mode, Handler.arg = mode, (sys.argv[5] if len(sys.argv) > 5 else "")
        server_class = TcpServer6 if ":" in host else TcpServer
        server = server_class((host, port), Handler)
    else:
        path, octal, mode = sys.argv[2], int(sys.argv[3], 8), sys.argv[4]
        Handler.mode, Handler.arg = mode, (sys.argv[5] if len(sys.argv) > 5 else "")
        if os.path.exists(path):
            os.unlink(path)
        server = UnixServer(path, Handler)
        os.chmod(path, octal)
    print("ready", flush=True)
    server.serve_forever()


main()
