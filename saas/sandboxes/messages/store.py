"""In-memory state of the message sandboxes: registrations, failure modes and what was received.

One module-level store guarded by a re-entrant lock, because Flask request threads, the SMTP
server's event-loop thread and the receipt dispatcher all read and write it. ``reset()`` swaps in a
fresh ``State`` with a higher generation, so work scheduled before a reset (a pending receipt, a held
request) can tell it belongs to a world that no longer exists.
"""
from __future__ import annotations

import copy
import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

CHANNELS = ("whatsapp", "sms", "email")
#: ``slow`` is no failure: the gateway answers normally after ``timeout_seconds`` (a busy network).
FAILURE_MODES = ("none", "server_error", "timeout", "invalid_number", "rate_limit", "slow")
RECEIPT_MODES = ("sync", "async", "manual", "off")
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_RECEIPT_DELAY = 1.0
ALWAYS_INVALID_SUFFIX = "0000"

# (url, raw body, headers) -> HTTP status; how receipts reach the business.
Transport = Callable[[str, bytes, dict], int]

lock = threading.RLock()

# SMS message ids keep growing across resets and restarts (epoch milliseconds as the seed), so a
# delivery report can never match a row Antar stored before a reset of the sandbox.
_sms_ids = itertools.count(int(time.time() * 1000))


@dataclass
class Failure:
    mode: str = "none"
    remaining: int | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


@dataclass(frozen=True)
class WhatsAppNumber:
    phone_number_id: str
    access_token: str
    app_secret: str
    webhook_url: str | None
    display_phone_number: str
    waba_id: str


@dataclass(frozen=True)
class SmsAccount:
    userkey: str
    passkey: str
    report_url: str | None
    report_token: str | None


@dataclass
class State:
    generation: int = 0
    whatsapp_numbers: dict[str, WhatsAppNumber] = field(default_factory=dict)
    whatsapp_templates: dict[tuple[str, str], str] = field(default_factory=dict)
    whatsapp_per_second: int | None = None
    whatsapp_pair_seconds: float | None = None
    whatsapp_sends: dict[str, deque] = field(default_factory=dict)
    whatsapp_last_to: dict[tuple[str, str], float] = field(default_factory=dict)
    # The quick-reply labels of approved templates, by (name, language): what the phone shows.
    whatsapp_template_buttons: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # When each person last wrote to each business number: opens the 24-hour window.
    whatsapp_last_inbound: dict[tuple[str, str], float] = field(default_factory=dict)
    inbound: list[dict] = field(default_factory=list)
    sms_accounts: dict[str, SmsAccount] = field(default_factory=dict)
    smtp_logins: dict[str, str] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=lambda: {c: Failure() for c in CHANNELS})
    receipt_mode: str = "async"
    receipt_delay: float = DEFAULT_RECEIPT_DELAY
    transport: Transport | None = None
    messages: list[dict] = field(default_factory=list)
    by_id: dict[str, dict] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)
    receipts: list[dict] = field(default_factory=list)
    pending: list = field(default_factory=list)
    wakeup: threading.Event = field(default_factory=threading.Event)


state = State()


def reset() -> None:
    """Forget every registration, message and setting; release requests held by a timeout."""
    global state
    with lock:
        previous = state
        state = State(generation=previous.generation + 1)
    previous.wakeup.set()


# -- registries ---------------------------------------------------------------------------------
def _required(name: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is required")
    return value


def _optional(name: str, value) -> str | None:
    if value in (None, ""):
        return None
    return _required(name, value)


def register_whatsapp(phone_number_id: str, access_token: str, app_secret: str,
                      webhook_url: str | None, *, display_phone_number: str | None = None,
                      waba_id: str | None = None) -> None:
    """Register a business phone number, as done once in the Meta app dashboard."""
    phone_number_id = _required("phone_number_id", phone_number_id)
    number = WhatsAppNumber(
        phone_number_id=phone_number_id,
        access_token=_required("access_token", access_token),
        app_secret=_required("app_secret", app_secret),
        webhook_url=_optional("webhook_url", webhook_url),
        display_phone_number=(_optional("display_phone_number", display_phone_number)
                              or "628110000" + phone_number_id[-4:].rjust(4, "0")),
        waba_id=_optional("waba_id", waba_id) or "10" + phone_number_id,
    )
    with lock:
        state.whatsapp_numbers[phone_number_id] = number


def register_whatsapp_template(name: str, language: str, body: str) -> None:
    """Declare an approved template; once any is declared, sends are checked against them.

    ``body`` uses WhatsApp's ``{{1}}``, ``{{2}}`` placeholders; the preview is rendered from it.
    """
    key = (_required("name", name), _required("language", language))
    with lock:
        state.whatsapp_templates[key] = _required("body", body)


def register_whatsapp_template_buttons(name: str, language: str, buttons: list[str]) -> None:
    """Declare the quick-reply buttons of an approved template (their labels, in order)."""
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 10 or not all(
            isinstance(b, str) and 0 < len(b) <= 25 for b in buttons):
        raise ValueError("buttons must be a list of 1 to 10 labels of at most 25 characters")
    with lock:
        state.whatsapp_template_buttons[(_required("name", name), _required("language", language))] = list(buttons)


def window_open(phone_number_id: str, person: str, now: float | None = None) -> bool:
    """Has the person written to this business number in the last 24 hours? Call with the lock held."""
    last = state.whatsapp_last_inbound.get((phone_number_id, recipient_key(person)))
    return last is not None and (now or time.time()) - last < 24 * 3600


def record_inbound(record: dict, at: float | None = None) -> dict:
    """A message a person sent to a business number (it opens their 24-hour window)."""
    with lock:
        state.inbound.append(record)
        state.whatsapp_last_inbound[(record["phone_number_id"], record["recipient"])] = at or time.time()
    return copy.deepcopy(record)


def inbound(to: str | None = None) -> list[dict]:
    """What people sent to the business numbers, oldest first."""
    key = recipient_key(to) if to else None
    with lock:
        return [copy.deepcopy(m) for m in state.inbound if key is None or m["recipient"] == key]


def register_sms_account(userkey: str, passkey: str, report_url: str | None = None,
                         report_token: str | None = None) -> None:
    """Register an SMS gateway account and where its delivery reports go."""
    account = SmsAccount(userkey=_required("userkey", userkey), passkey=_required("passkey", passkey),
                         report_url=_optional("report_url", report_url),
                         report_token=_optional("report_token", report_token))
    with lock:
        state.sms_accounts[account.userkey] = account


def register_smtp_login(username: str, password: str) -> None:
    """Require SMTP AUTH with these credentials (with none registered, any login and none pass)."""
    with lock:
        state.smtp_logins[_required("username", username)] = _required("password", password)


# -- behaviour switches --------------------------------------------------------------------------
def set_failure(channel: str, mode: str, count: int | None = None,
                timeout_seconds: float | None = None) -> None:
    """Make the next ``count`` requests on a channel fail that way (``None``: until changed)."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
    if mode not in FAILURE_MODES:
        raise ValueError(f"mode must be one of {', '.join(FAILURE_MODES)}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("count must be a positive integer or null")
    if timeout_seconds is None:
        timeout_seconds = DEFAULT_TIMEOUT_SECONDS
    if isinstance(timeout_seconds, bool) or not isinstance(timeout_seconds, (int, float)) or timeout_seconds < 0:
        raise ValueError("timeout_seconds must be a non-negative number")
    failure = Failure() if mode == "none" else Failure(mode, count, float(timeout_seconds))
    with lock:
        state.failures[channel] = failure


def failures() -> dict[str, dict]:
    with lock:
        return {channel: {"mode": f.mode, "count": f.remaining, "timeout_seconds": f.timeout_seconds}
                for channel, f in state.failures.items()}


def take_failure(channel: str, modes: tuple[str, ...] | None = None) -> Failure | None:
    """The failure this request must suffer, if any, counting it against ``count``.

    ``modes`` limits which modes apply at this point (SMTP rejects recipients and data at
    different stages); a mode outside it is left untouched for a later stage.
    """
    with lock:
        current = state.failures[channel]
        if current.mode == "none" or (modes is not None and current.mode not in modes):
            return None
        if current.remaining is not None:
            current.remaining -= 1
            if current.remaining <= 0:
                state.failures[channel] = Failure()
        return Failure(current.mode, None, current.timeout_seconds)


def hold(seconds: float) -> None:
    """Keep a request hanging like a stuck gateway; a ``reset()`` lets it go at once."""
    with lock:
        wakeup = state.wakeup
    wakeup.wait(seconds)


def set_receipt_mode(mode: str) -> None:
    """``async`` (background, delayed), ``sync`` (before the send returns), ``manual``
    (queued until ``deliver_receipts()``) or ``off``."""
    if mode not in RECEIPT_MODES:
        raise ValueError(f"mode must be one of {', '.join(RECEIPT_MODES)}")
    with lock:
        state.receipt_mode = mode


def set_receipt_delay(seconds: float) -> None:
    """Time between acceptance and each successive async receipt (sent, delivered, read)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise ValueError("delay must be a non-negative number")
    with lock:
        state.receipt_delay = float(seconds)


def set_whatsapp_limits(per_second: int | None = None, pair_seconds: float | None = None) -> None:
    """Enforce the Cloud API throughput (130429) and per-recipient pacing (131056); off by default."""
    for name, value in (("per_second", per_second), ("pair_seconds", pair_seconds)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise ValueError(f"{name} must be a positive number or null")
    if per_second is not None and not isinstance(per_second, int):
        raise ValueError("per_second must be an integer")
    with lock:
        state.whatsapp_per_second = per_second
        state.whatsapp_pair_seconds = pair_seconds
        state.whatsapp_sends.clear()
        state.whatsapp_last_to.clear()


# -- records ---------------------------------------------------------------------------------------
def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def recipient_key(value: str) -> str:
    """One key per person and address: phone numbers as 62…, e-mail addresses lower-cased."""
    value = value.strip()
    if "@" in value:
        return value.lower()
    digits = re.sub(r"\D", "", value)
    return "62" + digits[1:] if digits.startswith("0") else digits


def always_invalid(value: str) -> bool:
    """Numbers ending in 0000 do not exist: a permanent failure that needs no global switch."""
    return re.sub(r"\D", "", value).endswith(ALWAYS_INVALID_SUFFIX)


def next_sms_id() -> str:
    return str(next(_sms_ids))


def record_message(channel: str, message_id: str, to, recipients: list[str], /, *,
                   status: str = "accepted", **content) -> dict:
    """Keep an accepted message exactly once; the main code's tests count these."""
    accepted_at = now_iso()
    keys = [recipient_key(r) for r in recipients]
    record = {"channel": channel, "id": message_id, "to": to, "recipient": keys[0], "recipients": keys,
              "time": accepted_at, "status": status,
              "statuses": [] if status == "accepted" else [{"status": status, "time": accepted_at}],
              **content}
    with lock:
        state.messages.append(record)
        state.by_id[message_id] = record
    return copy.deepcopy(record)


def record_rejection(channel: str, reason: str, **details) -> None:
    with lock:
        state.rejected.append({"channel": channel, "reason": reason, "time": now_iso(), **details})


def set_status(message_id: str, status: str, **details) -> None:
    with lock:
        record = state.by_id[message_id]
        record["status"] = status
        record["statuses"].append({"status": status, "time": now_iso(), **details})


def message(message_id: str) -> dict | None:
    with lock:
        record = state.by_id.get(message_id)
        return copy.deepcopy(record) if record else None


def _check_channel(channel: str | None) -> None:
    if channel is not None and channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")


def received(channel: str | None = None, to: str | None = None) -> list[dict]:
    """Accepted messages, oldest first; ``to`` matches a phone number in any notation or an address."""
    _check_channel(channel)
    key = recipient_key(to) if to else None
    with lock:
        return [copy.deepcopy(m) for m in state.messages
                if (channel is None or m["channel"] == channel) and (key is None or key in m["recipients"])]


def rejected(channel: str | None = None) -> list[dict]:
    """Requests refused (bad credentials, invalid input, failure modes), each with its reason."""
    _check_channel(channel)
    with lock:
        return [copy.deepcopy(r) for r in state.rejected if channel is None or r["channel"] == channel]


def receipt_log(channel: str | None = None) -> list[dict]:
    """Every receipt callback attempt with the HTTP status it got (or the connection error)."""
    _check_channel(channel)
    with lock:
        return [copy.deepcopy(r) for r in state.receipts if channel is None or r["channel"] == channel]
