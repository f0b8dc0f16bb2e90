"""A WhatsApp Cloud API and Zenziva SMS stand-in for the messages benchmark: cheap (a plain
keep-alive HTTP server in a process of its own, no validation, no receipts), so it is not the
bottleneck, but it enforces each business number's limit as Meta does (error 130429 past
``per_second`` in any one-second window) and logs every accepted message with its time.

    WHATSAPP_BASE_URL=http://127.0.0.1:<port>/wa   SMS_BASE_URL=http://127.0.0.1:<port>/sms
"""
from __future__ import annotations

import itertools
import json
import multiprocessing
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for clients that pool their connections
    server: "_Server"

    def log_message(self, *args):
        pass

    def _answer(self, status: int, payload) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_log":
            with self.server.lock:
                log, rejected = list(self.server.log), self.server.rejected
            return self._answer(200, {"accepted": log, "rejected": rejected})
        self._answer(404, {})

    def do_POST(self):
        data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        now = time.time()
        server = self.server
        if self.path.startswith("/wa/"):
            number = self.path.split("/")[3]
            with server.lock:
                window = server.windows.setdefault(number, deque())
                while window and now - window[0] >= 1.0:
                    window.popleft()
                if len(window) >= server.per_second:
                    server.rejected += 1
                    return self._answer(400, {"error": {"code": 130429, "message": "(#130429) Rate limit hit"}})
                window.append(now)
                server.log.append((now, number, data.get("to")))
                wamid = f"wamid.{next(server.ids)}"
            return self._answer(200, {"messaging_product": "whatsapp", "messages": [{"id": wamid}]})
        if self.path.startswith("/sms/"):
            with server.lock:
                server.log.append((now, "sms:" + str(data.get("userkey")), "62" + str(data.get("nohp"))[1:]))
                message_id = str(next(server.ids))
            return self._answer(200, {"messageId": message_id, "to": data.get("nohp"), "status": "1", "text": "Success"})
        self._answer(404, {})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address, per_second: int):
        super().__init__(address, _Handler)
        self.per_second = per_second
        self.lock = threading.Lock()
        self.windows: dict[str, deque] = {}
        self.log: list[tuple[float, str, str]] = []
        self.rejected = 0
        self.ids = itertools.count(1)


def _serve(port: int, per_second: int) -> None:
    _Server(("127.0.0.1", port), per_second).serve_forever()


def start(port: int, per_second: int = 80) -> multiprocessing.Process:
    process = multiprocessing.Process(target=_serve, args=(port, per_second), daemon=True)
    process.start()
    return process
