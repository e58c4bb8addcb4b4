"""A stand-in OpenAI-compatible server on loopback, for benchmarks and fault tests.

It answers chat completions after a fixed latency with a fresh, admissible activation
function (a random expression tree, so admission and evaluation do real work), and can
inject the faults real providers produce: 429 with Retry-After, 500, a hang past the
client's timeout, a dropped connection, a body that is not JSON, empty choices, code cut
off mid-line, and a 400 with a message. It counts every fault it injected, so a test can
check that the client counted the same. Standard library only (a real HTTP server in a
thread; nothing is mocked on the client side).
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("rate_limited", "server_error", "hang", "drop", "invalid_json", "empty_choices",
          "truncated", "bad_request")


def random_activation(index: int) -> str:
    """A fresh admissible function for request number ``index`` (deterministic)."""
    from ..proposers.symbolic import RandomProposer

    return RandomProposer().propose([], random.Random(f"stub:{index}")).source


class StubServer:
    """``with StubServer(latency=5.0) as stub: stub.base_url``"""

    def __init__(self, latency: float = 0.0, faults: Iterable[str] = (),
                 answer: Callable[[int], str] | None = None, retry_after: float = 1.0,
                 hang_seconds: float = 30.0, api_key: str | None = None):
        self.latency = latency
        self.api_key = api_key  # when set, requests without "Bearer <api_key>" get a 401
        self.plan = list(faults)  # consumed one per request, then every request succeeds
        unknown = set(self.plan) - set(FAULTS) - {"ok"}
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {FAULTS}")
        self.answer = answer or (lambda i: f"My idea:\n```python\n{random_activation(i)}```\n")
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self.injected: Counter = Counter()
        self.requests = 0
        self.arrivals: list[float] = []
        self.bodies: list[dict] = []  # every request body, with its headers under "_headers"
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> StubServer:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _authorised(self) -> bool:
                if stub.api_key is None or self.headers.get("authorization") == (
                        f"Bearer {stub.api_key}"):
                    return True
                self._json(401, {"error": {"message": "Incorrect API key provided"}})
                return False

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "stub"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self._authorised():
                    stub._serve(self, {**body, "_headers": dict(self.headers)})

            def _json(self, status: int, payload, headers: dict | None = None) -> None:
                self._raw(status, json.dumps(payload).encode(), headers)

            def _raw(self, status: int, data: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------ serving
    def _serve(self, handler, body: dict) -> None:
        with self._lock:
            index = self.requests
            self.requests += 1
            self.arrivals.append(time.monotonic())
            self.bodies.append(body)
            fault = self.plan.pop(0) if self.plan else "ok"
            if fault != "ok":
                self.injected[fault] += 1
        try:
            self._respond(handler, body, index, fault)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a hang past its timeout): nothing to answer

    def _respond(self, handler, body: dict, index: int, fault: str) -> None:
        if self.latency and fault not in ("rate_limited", "drop"):
            self._stopping.wait(self.latency)
        if fault == "rate_limited":
            handler._json(429, {"error": {"message": "rate limit reached, slow down"}},
                          {"retry-after": f"{self.retry_after:g}"})
        elif fault == "server_error":
            handler._json(500, {"error": {"message": "internal error"}})
        elif fault == "bad_request":
            handler._json(400, {"error": {"message": f"model '{body.get('model')}' does "
                                          f"not exist"}})
        elif fault == "hang":
            self._stopping.wait(self.hang_seconds)
            handler._json(200, self._completion(body, index))
        elif fault == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
        elif fault == "invalid_json":
            handler._raw(200, b'{"id": "x", "choices": [{"message": {"content": "def activ')
        elif fault == "empty_choices":
            handler._json(200, {"id": "x", "object": "chat.completion", "choices": []})
        elif fault == "truncated":
            text = "```python\nimport torch\n\ndef activation(x):\n    return torch.tanh(x) * (1 +"
            handler._json(200, self._completion(body, index, text, "length"))
        else:
            handler._json(200, self._completion(body, index))

    def _completion(self, body: dict, index: int, text: str | None = None,
                    finish: str = "stop") -> dict:
        text = self.answer(index) if text is None else text
        prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        return {"id": f"stub-{index}", "object": "chat.completion", "model": body.get("model"),
                "choices": [{"index": 0, "finish_reason": finish,
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": prompt // 4, "completion_tokens": len(text) // 4,
                          "total_tokens": prompt // 4 + len(text) // 4}}
