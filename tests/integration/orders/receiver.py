"""A real local HTTP server that receives webhooks inside a test and checks their signatures
with an independent implementation of the Standard Webhooks scheme."""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def standard_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.split("_", 1)[1])
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class Receiver:
    """Collects (headers, raw body); answers with `self.status` (settable per test)."""

    def __init__(self):
        self.received, self.status = [], 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                if receiver.status in (301, 302):
                    self.send_header("location", "http://169.254.169.254/")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self, secret):
        """The received payloads, each after its signature checked; raises on a bad one."""
        out = []
        for headers, body in self.received:
            expected = standard_signature(secret, headers["webhook-id"], headers["webhook-timestamp"], body)
            assert hmac.compare_digest(expected, headers["webhook-signature"]), "bad webhook signature"
            out.append(json.loads(body))
        return out
