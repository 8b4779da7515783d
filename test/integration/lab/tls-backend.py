"""A small real HTTPS backend for the TLS integration tests.

usage: tls-backend.py HOST PORT CERT KEY [--sni NAME] [--min-tls 1.3]
  --sni NAME     refuse handshakes that name no server, or another one (alert: unrecognized_name)
  --min-tls 1.3  refuse clients that cannot speak TLS 1.3 (alert: protocol_version)
Answers every GET with 200 "hello over tls".
"""
import http.server
import socket
import socketserver
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello over tls\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


class TlsServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    context = None

    def get_request(self):
        request, address = self.socket.accept()
        return request, address

    def finish_request(self, request, client_address):
        # The handshake runs in the request's own thread, so one failed client never blocks the next.
        try:
            request.settimeout(5)
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()


class TlsServer6(TlsServer):
    address_family = socket.AF_INET6


def main():
    host, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    options = sys.argv[5:]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if "--min-tls" in options and options[options.index("--min-tls") + 1] == "1.3":
        context.minimum_version = ssl.TLSVersion.TLSv1_3
    if "--sni" in options:
        wanted = options[options.index("--sni") + 1]

        def check_name(_sock, name, _ctx):
            if name != wanted:
                return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
            return None

        context.sni_callback = check_name
    server_class = TlsServer6 if ":" in host else TlsServer
    server = server_class((host, port), Handler)
    server.context = context
    print("ready", flush=True)
    server.serve_forever()


main()
