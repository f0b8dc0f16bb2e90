"""Receipts to the business (WhatsApp status webhooks, SMS delivery reports), sent like gateways do.

A callback is built when it fires, so its timestamp is real, and it moves the message's status
whether or not the business answers. Every attempt is logged with the HTTP status it got. In async
mode a callback that does not get a 2xx is retried with backoff, as Meta retries its webhooks.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from saas.sandboxes.messages import store

RETRY_BACKOFF = (1.0, 5.0, 25.0)
REQUEST_TIMEOUT = 5.0

# () -> (url or None when the business registered no callback URL, headers, raw body)
Builder = Callable[[], tuple[str | None, dict[str, str], bytes]]


@dataclass
class Callback:
    channel: str
    message_id: str
    status: str
    build: Builder
    generation: int
    attempt: int = 0
    request: tuple[str | None, dict[str, str], bytes] | None = None


def callback(channel: str, message_id: str, status: str, build: Builder) -> Callback:
    with store.lock:
        return Callback(channel, message_id, status, build, store.state.generation)


def post_with_requests(url: str, body: bytes, headers: dict) -> int:
    return requests.post(url, data=body, headers=headers, timeout=REQUEST_TIMEOUT).status_code


def set_receipt_transport(transport: store.Transport | None = None) -> None:
    """Deliver receipts through ``transport(url, body, headers) -> status`` instead of HTTP,
    e.g. into a Flask test client; ``None`` restores real HTTP."""
    with store.lock:
        store.state.transport = transport


def fire(cb: Callback) -> dict | None:
    """Send one callback attempt now; the log entry, or None if there was nothing to send."""
    with store.lock:
        if cb.generation != store.state.generation:
            return None
        if cb.request is None:
            store.set_status(cb.message_id, cb.status)
            cb.request = cb.build()
        transport = store.state.transport or post_with_requests
    url, headers, body = cb.request
    if url is None:
        return None
    cb.attempt += 1
    http_status = error = None
    try:
        http_status = transport(url, body, dict(headers))
    except Exception as exc:  # a dead receiver must not kill the dispatcher thread
        error = f"{type(exc).__name__}: {exc}"
    entry = {"channel": cb.channel, "message_id": cb.message_id, "status": cb.status, "url": url,
             "attempt": cb.attempt, "http_status": http_status,
             "ok": http_status is not None and 200 <= http_status < 300, "error": error,
             "time": store.now_iso(), "headers": dict(headers), "body": body.decode("utf-8")}
    with store.lock:
        if cb.generation == store.state.generation:
            store.state.receipts.append(entry)
    return dict(entry)


def schedule(callbacks: list[Callback]) -> None:
    """Send a message's receipts in order, according to the receipt mode."""
    with store.lock:
        mode, delay = store.state.receipt_mode, store.state.receipt_delay
        if mode == "manual":
            store.state.pending.extend(callbacks)
            return
    if mode == "sync":
        for cb in callbacks:
            fire(cb)
    elif mode == "async":
        start = time.monotonic()
        for step, cb in enumerate(callbacks, start=1):
            _dispatcher.push(start + delay * step, cb)


def deliver_receipts() -> list[dict]:
    """Send every receipt queued in manual mode now, in order; their log entries."""
    with store.lock:
        pending, store.state.pending = store.state.pending, []
    return [entry for entry in map(fire, pending) if entry is not None]


class _Dispatcher:
    """One background thread sending due callbacks in time order, retrying failed ones."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._queue: list[tuple[float, int, Callback]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def push(self, due: float, cb: Callback) -> None:
        with self._ready:
            heapq.heappush(self._queue, (due, next(self._order), cb))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sandbox-message-receipts",
                                                daemon=True)
                self._thread.start()
            self._ready.notify()

    def _next(self) -> Callback:
        with self._ready:
            while True:
                wait = self._queue[0][0] - time.monotonic() if self._queue else None
                if wait is not None and wait <= 0:
                    return heapq.heappop(self._queue)[2]
                self._ready.wait(wait)

    def _run(self) -> None:
        while True:
            cb = self._next()
            entry = fire(cb)
            if entry is not None and not entry["ok"] and cb.attempt <= len(RETRY_BACKOFF):
                self.push(time.monotonic() + RETRY_BACKOFF[cb.attempt - 1], cb)


_dispatcher = _Dispatcher()
