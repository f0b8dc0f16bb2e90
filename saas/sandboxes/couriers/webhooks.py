"""Webhook delivery to the partner, as Go-Send and Grab do it.

The partner's token goes raw in ``Authorization`` (no scheme, no signature); a connection error
or a 5xx is retried a few times with a short pause. In "async" mode (the default) one background
thread delivers callbacks in the order they were made, so the HTTP request that caused a status
change returns first and a partner still sees statuses in order; tests use "sync" mode.
Every attempt is logged with the HTTP status the partner answered.
"""
from __future__ import annotations

import queue
import threading
import time
from datetime import datetime, timezone

import requests

TIMEOUT = 5  # seconds the partner has to answer
RETRY_BACKOFF = (0.2, 0.5, 1.0)  # pause before each retry: three retries after the first try
MODES = ("sync", "async")

_lock = threading.Lock()
_mode = "async"
_log: list[dict] = []
_outbox: queue.Queue = queue.Queue()
_worker: threading.Thread | None = None
_generation: dict[str, int] = {}  # bumped by clear(): callbacks queued before it are dropped
_in_flight: tuple[str, int] | None = None  # (provider, generation) of the callback being posted
_idle = threading.Condition(_lock)


def set_mode(mode: str) -> None:
    global _mode
    if mode not in MODES:
        raise ValueError(f"callback mode must be one of {', '.join(MODES)}")
    with _lock:
        _mode = mode


def mode() -> str:
    return _mode


def deliver(provider: str, ref: str, url: str | None, token: str | None, body: dict) -> None:
    """Send ``body`` to the partner now (sync) or through the ordered background queue (async)."""
    if _mode == "sync":
        _post_with_retries(provider, ref, url, token, body)
        return
    _ensure_worker()
    with _lock:
        generation = _generation.setdefault(provider, 0)
    _outbox.put((generation, (provider, ref, url, token, body)))


def wait(timeout: float = 10.0) -> bool:
    """Block until every queued callback has been tried; False if ``timeout`` ran out first."""
    deadline = time.monotonic() + timeout
    while _outbox.unfinished_tasks:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def attempts(provider: str | None = None) -> list[dict]:
    with _lock:
        return [dict(entry) for entry in _log if provider in (None, entry["provider"])]


def clear(provider: str | None = None, wait_seconds: float = 10.0) -> None:
    """Forget the log and drop queued callbacks (one courier's, or all).

    A callback already being posted is waited for: once this returns, nothing from before it
    reaches the partner, so a partner reset at the same time starts from a clean slate.
    """
    with _lock:
        _log[:] = [entry for entry in _log if provider is not None and entry["provider"] != provider]
        for name in [provider] if provider else list(_generation):
            _generation[name] = _generation.get(name, 0) + 1
        _idle.wait_for(lambda: _in_flight is None or not _stale(*_in_flight), timeout=wait_seconds)


def _stale(provider: str, generation: int) -> bool:
    return generation != _generation.get(provider, 0)


def _ensure_worker() -> None:
    global _worker
    with _lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="courier-sandbox-callbacks", daemon=True)
            _worker.start()


def _work() -> None:
    global _in_flight
    while True:
        generation, job = _outbox.get()
        try:
            with _lock:
                if _stale(job[0], generation):
                    continue
                _in_flight = (job[0], generation)
            _post_with_retries(*job, generation=generation)
        finally:
            with _lock:
                _in_flight = None
                _idle.notify_all()
            _outbox.task_done()


def _post_with_retries(provider: str, ref: str, url: str | None, token: str | None, body: dict,
                       generation: int | None = None) -> None:
    if not url:
        _record(provider, ref, url, body, attempt=1, http_status=None, error="no callback URL registered")
        return
    pauses = (0.0, *RETRY_BACKOFF)
    for attempt, pause in enumerate(pauses, start=1):
        time.sleep(pause)
        if generation is not None and _stale(provider, generation):
            return  # cleared while waiting to retry
        try:
            response = requests.post(url, json=body, headers={"Authorization": token or ""}, timeout=TIMEOUT)
        except requests.RequestException as exc:
            _record(provider, ref, url, body, attempt, http_status=None, error=type(exc).__name__)
            continue
        _record(provider, ref, url, body, attempt, http_status=response.status_code, error=None)
        if response.status_code < 500:
            return


def _record(provider, ref, url, body, attempt, http_status, error) -> None:
    with _lock:
        _log.append({
            "provider": provider, "ref": ref, "status": body.get("status"), "url": url,
            "attempt": attempt, "http_status": http_status, "error": error,
            "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "body": body,
        })
