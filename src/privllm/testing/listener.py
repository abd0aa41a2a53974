"""A TCP listener on 127.0.0.1 that records whoever connects: for "nothing connected" tests.

Websocket APIs (OpenAI Realtime, Gemini Live) do not go through the HTTP client privllm
builds; a test points them at this listener and asserts that no connection arrived, and so
no key, token or value either. Each connection is read briefly, recorded and closed, so a
client that did connect fails fast instead of waiting for a handshake.

>>> import socket
>>> with ConnectionRecorder() as listener:
...     with socket.create_connection(("127.0.0.1", listener.port)) as s:
...         s.sendall(b"GET / HTTP/1.1\\r\\n\\r\\n")
...     listener.wait_for(1)
...     listener.connections, listener.received()[:5]
(1, b'GET /')
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

__all__ = ["ConnectionRecorder"]


class ConnectionRecorder:
    """Listens on an ephemeral loopback port; ``connections`` counts who connected and
    ``received()`` holds every byte they sent. ``url`` is a ``ws://`` URL for it."""

    def __init__(self, *, read_timeout: float = 0.5) -> None:
        self.read_timeout = read_timeout
        self.connections = 0
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def received(self) -> bytes:
        with self._lock:
            return b"".join(self._chunks)

    def wait_for(self, connections: int, timeout: float = 5.0) -> None:
        """Wait until ``connections`` connections were recorded (read and closed)."""
        deadline = time.monotonic() + timeout
        while self.connections < connections and time.monotonic() < deadline:
            time.sleep(0.01)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(self.read_timeout)
                data = b""
                try:
                    while len(data) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass  # the read timeout: what arrived so far is what was sent
            with self._lock:
                self._chunks.append(data)
                self.connections += 1

    def start(self) -> ConnectionRecorder:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> ConnectionRecorder:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
