"""The small interface of a message channel, and how a failure says whether to try again."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app

from saas.sandbox_registry import stand_ins_allowed

if TYPE_CHECKING:
    import requests


class SendError(Exception):
    """A send that did not happen. ``permanent`` ones (an invalid number) are never retried;
    ``retry_after`` asks for a minimum wait (a rate limit)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None,
                 uncertain: bool = False, throttled: bool = False):
        self.permanent = permanent
        self.retry_after = retry_after
        #: Not a failure: the provider's (or our own) rate limit says "later"; no attempt is spent.
        self.throttled = throttled
        #: The request may have reached the gateway (no answer came back): it may have been sent.
        self.uncertain = uncertain
        super().__init__(message)


@dataclass(frozen=True)
class Sent:
    provider_message_id: str


@dataclass(frozen=True)
class Later:
    """Not now: the sender's limit asks for ``wait`` seconds. ``person`` when it is the
    recipient's own interval (the message is handed back), not the number's (another city's
    message may go meanwhile, and this one after the wait)."""

    wait: float
    reason: str
    person: bool = False


@dataclass
class Outgoing:
    """A message made ready to go: everything the send needs, so that it can leave from another
    thread without the database session or the app (``Channel.transmit``)."""

    notification_id: int
    url: str = ""
    json: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


_local = threading.local()


def http_session() -> requests.Session:
    """A keep-alive session per sending thread: a batch reuses its connections to the gateway
    instead of opening one per message (a Session is not promised to be thread-safe, so one each)."""
    session = getattr(_local, "session", None)
    if session is None or getattr(_local, "pid", None) != os.getpid():
        import requests  # requests and urllib3 are 4 MB a web worker, which sends nothing itself, never loads
        from requests.adapters import HTTPAdapter

        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=4, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _local.session, _local.pid = session, os.getpid()
    return session


class Channel:
    name = ""
    #: Can a send be repeated safely? WhatsApp recognises our id in its receipts; an SMS gateway
    #: has no idempotency key, so an SMS whose send may have happened is never sent blindly again.
    repeatable = True

    def __init__(self, tenant):
        self.tenant = tenant
        self.settings = (tenant.notification_settings or {}).get(self.name) or {}

    def secret(self, key: str) -> str:
        """A credential named in the city's settings; in sandbox mode (never production) a derived stand-in."""
        env_name = self.settings.get(key)
        value = os.environ.get(env_name, "") if env_name else ""
        if not value and stand_ins_allowed():
            value = f"sandbox-{self.tenant.slug}-{self.name}-{key.removesuffix('_env')}"
        if not value:
            raise SendError(f"{env_name or key} is not set for {self.tenant.slug}", permanent=True)
        return value

    def base_url(self, key: str, sandbox_path: str) -> str:
        configured = current_app.config.get(key) or os.environ.get(key)
        if configured:
            return configured.rstrip("/")
        if stand_ins_allowed():
            return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/sandbox/{sandbox_path}"
        raise SendError(f"{key} is not configured", permanent=True)

    def can_reach(self, notification_target: dict) -> str | None:
        """The recipient for this channel, or None if the person has no address on it."""
        return notification_target.get("phone")

    def prepare(self, notification) -> Outgoing:
        """In the worker's own thread (settings, credentials); may raise ``SendError``."""
        raise SendError("not a channel", permanent=True)

    def try_turn(self, outgoing: Outgoing) -> Later | None:
        """Take the sender's turn for this message without waiting: None when it may go now."""
        return None

    def wait_turn(self, outgoing: Outgoing) -> None:
        """Wait (briefly) for the sender's turn; ``SendError(throttled=True)`` when it is far off."""

    def transmit(self, outgoing: Outgoing) -> Sent:
        """The send itself; safe in any thread (no database, no app context)."""
        raise SendError("not a channel", permanent=True)

    def send(self, notification) -> Sent:
        outgoing = self.prepare(notification)
        self.wait_turn(outgoing)
        return self.transmit(outgoing)
