"""A real HTTP server on 127.0.0.1 that records every request and plays scripted replies.

Protocol servers (OpenAI, Azure, Gemini/Vertex) subclass :class:`WireServer` and implement
``route``; recording, scripting, keep-alive, chunked streaming, delays and dropped
connections live here once.
"""

from __future__ import annotations

import collections
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from .replies import Reply

__all__ = ["RecordedRequest", "StreamBody", "WireResponse", "WireServer"]

_S = TypeVar("_S", bound="WireServer")


@dataclass(frozen=True)
class RecordedRequest:
    """One request exactly as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    raw: bytes  # request line, headers and body as they arrived
    #: The client's (host, port): requests with the same peer came on one connection.
    peer: tuple[str, int] = ("", 0)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class StreamBody:
    """A streamed reply: ``parts`` are written as HTTP chunks, ``delay`` seconds apart.

    ``drop_after`` closes the connection abruptly after that many parts (no final chunk).
    """

    parts: Iterable[bytes]
    delay: float = 0.0
    drop_after: int | None = None


@dataclass
class WireResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | StreamBody = b""
    delay: float = 0.0  # before the status line is sent (for timeouts)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real API
    server: _HTTPServer
    timeout = 30  # an idle keep-alive connection frees its thread after this
    # Without this, small header and body writes meet delayed ACKs: ~40 ms per call.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return  # tests and the demo must not print the server's access log

    def _handle(self) -> None:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()  # a streamed request body (a generator, a file)
        else:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
        head = self.requestline.encode("latin-1") + b"\r\n" + bytes(self.headers)
        split = urlsplit(self.path)
        recorded = RecordedRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw=head + body,
            peer=(str(self.client_address[0]), int(self.client_address[1])),
        )
        owner = self.server.owner
        owner._record(recorded)
        try:
            response = owner.route(recorded)
        except Exception as exc:  # a bug in a test server should be loud, not a hang
            response = WireResponse(500, body=f"test server error: {exc!r}".encode())
        self._send(response)

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return body
            body += self.rfile.read(size)
            self.rfile.readline()  # the CRLF after each chunk

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

    def _send(self, response: WireResponse) -> None:
        if response.delay:
            time.sleep(response.delay)
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if isinstance(response.body, StreamBody):
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self._stream(response.body)
            else:
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client went away: for a stream, that is how closing it early looks.
            self.close_connection = True
            if isinstance(response.body, StreamBody):
                self.server.owner._aborted()

    def _stream(self, body: StreamBody) -> None:
        for i, part in enumerate(body.parts):
            if body.drop_after is not None and i >= body.drop_after:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if i and body.delay:
                time.sleep(body.delay)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: WireServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up (closed stream, timeout test) is normal here; anything else is
        # a bug in the test server and is printed as usual.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class WireServer:
    """Base of the protocol servers. Start with ``with Server() as s`` or ``start()``.

    ``s.reply(...)``/``s.replies.append(...)`` queue scripted replies, used in order; when the
    queue is empty ``responder(request)`` answers a chat request if one is given (a stand-in
    model for code that makes calls you cannot script in advance, such as an agent loop or a
    third-party test suite), else ``default`` (an echo of the last user message).
    ``s.requests`` holds every request received.
    """

    def __init__(
        self,
        *,
        default: Reply | None = None,
        api_key: str | None = None,
        responder: Callable[[RecordedRequest], Reply] | None = None,
    ) -> None:
        self.default = default or Reply.echo()
        self.api_key = api_key
        self.responder = responder
        self.replies: collections.deque[Reply] = collections.deque()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0
        #: Streams the client closed before the end (seen as a broken connection).
        self.aborted_streams = 0

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self: _S) -> _S:
        if self._httpd is None:
            httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
            httpd.owner = self
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting and records -----------------------------------------------------------------

    def reply(self, *replies: Reply) -> None:
        """Queue replies; each request takes the next one."""
        with self._lock:
            self.replies.extend(replies)

    def next_reply(self, request: RecordedRequest | None = None) -> Reply:
        """The next queued reply; else the responder's answer to ``request``; else ``default``."""
        with self._lock:
            if self.replies:
                return self.replies.popleft()
        if self.responder is not None and request is not None:
            return self.responder(request)
        return self.default

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self._counter += 1

    def _aborted(self) -> None:
        with self._lock:
            self.aborted_streams += 1

    def request_id(self) -> str:
        return f"req_{self._counter:06d}"

    @property
    def last(self) -> RecordedRequest:
        """The most recent request (raises if none arrived)."""
        if not self.requests:
            raise AssertionError("the server received no request")
        return self.requests[-1]

    def received(self) -> bytes:
        """Every byte received so far, requests concatenated: for privacy assertions."""
        with self._lock:
            return b"".join(r.raw for r in self.requests)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.replies.clear()

    # -- protocol ------------------------------------------------------------------------------

    def route(self, request: RecordedRequest) -> WireResponse:
        raise NotImplementedError


def json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None, delay: float = 0.0
) -> WireResponse:
    merged = {"Content-Type": "application/json", **(headers or {})}
    return WireResponse(status, merged, json.dumps(payload).encode(), delay)


def sse_response(
    events: Iterator[bytes] | list[bytes],
    reply: Reply,
    headers: dict[str, str] | None = None,
) -> WireResponse:
    merged = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **(headers or {})}
    body = StreamBody(events, delay=reply.chunk_delay, drop_after=reply.drop_after)
    return WireResponse(200, merged, body, reply.delay)
