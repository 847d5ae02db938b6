"""A small Server-Sent Events client over a raw socket, for the event stream
tests: it sends one GET, reads the head, then parses the chunked body into
events on a thread of its own, so a test can wait for events with a timeout,
hang up at any moment, and see exactly how the stream ended."""
from __future__ import annotations

import socket
import threading
import time
from typing import Optional
from urllib.parse import urlparse


class Event:
    def __init__(self, id_: Optional[str], type_: str, data: str, at: float):
        self.id = int(id_) if id_ is not None else None
        self.type = type_
        self.data = data
        self.at = at  # time.monotonic() when it arrived

    def __repr__(self) -> str:
        return f"Event(id={self.id}, type={self.type!r}, data={self.data[:60]!r})"


class SSEStream:
    """GET path with headers; .status, .headers; .events (arrival order);
    .comments (": ..." lines); .ended_cleanly once the final chunk came."""

    def __init__(self, base_url: str, path: str, token: Optional[str] = None,
                 headers: Optional[dict] = None, timeout: float = 15.0):
        u = urlparse(base_url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        lines = [f"GET {path} HTTP/1.1", f"Host: {u.hostname}:{u.port}",
                 "Accept: text/event-stream"]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        self.cond = threading.Condition()
        self.events: list[Event] = []
        self.comments: list[str] = []
        self.ended_cleanly = False
        self.closed = False
        self.body = b""
        self._read_head(timeout)
        self.thread: Optional[threading.Thread] = None
        if self.status == 200:
            self.sock.settimeout(None)
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        else:
            n = int(self.headers.get("content-length", "0"))
            while len(self.buf) < n:
                self._fill()
            self.body = self.buf[:n]

    # ---- reading ------------------------------------------------------------

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def _read_head(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no response head")
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def _chunks(self):
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            size_line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(self.buf) < size + 2:
                self._fill()
            chunk, self.buf = self.buf[:size], self.buf[size + 2:]
            if size == 0:
                return
            yield chunk

    def _run(self) -> None:
        text = b""
        try:
            for chunk in self._chunks():
                text += chunk
                while b"\n\n" in text:
                    block, text = text.split(b"\n\n", 1)
                    self._block(block.decode("utf-8"))
            with self.cond:
                self.ended_cleanly = True
        except (EOFError, OSError, ValueError):
            pass
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def _block(self, block: str) -> None:
        id_, type_, data = None, "message", []
        for line in block.split("\n"):
            if line.startswith(":"):
                with self.cond:
                    self.comments.append(line)
                    self.cond.notify_all()
                continue
            k, _, v = line.partition(":")
            v = v[1:] if v.startswith(" ") else v
            if k == "id":
                id_ = v
            elif k == "event":
                type_ = v
            elif k == "data":
                data.append(v)
        if id_ is None and not data:
            return
        with self.cond:
            self.events.append(Event(id_, type_, "\n".join(data), time.monotonic()))
            self.cond.notify_all()

    # ---- waiting -------------------------------------------------------------

    def wait_events(self, n: int, timeout: float = 15.0) -> list[Event]:
        """At least n events (all so far), or AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.events) < n:
                left = deadline - time.monotonic()
                assert left > 0 and not self.closed, (
                    f"expected {n} events, got {len(self.events)}: {self.events[-5:]}"
                    f"{' (stream closed)' if self.closed else ''}")
                self.cond.wait(min(left, 0.2))
            return list(self.events)

    def wait_comment(self, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.comments:
                left = deadline - time.monotonic()
                assert left > 0 and not self.closed, "no comment line came"
                self.cond.wait(min(left, 0.2))
            return list(self.comments)

    def wait_closed(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.2))
            return True

    def quiet_for(self, seconds: float) -> list[Event]:
        """Waits, then returns every event so far."""
        time.sleep(seconds)
        with self.cond:
            return list(self.events)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if self.thread is not None:
            self.thread.join(5)

    def __enter__(self) -> "SSEStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
