"""WhatsApp's limits, kept by every worker together: a token bucket per business number in Redis
(80 messages/s by default, a city setting up to the upgraded 1,000/s) and about one message per
6 s to the same person. A send waits for its turn when the wait is short, and otherwise is handed
back to be retried later without spending one of its attempts.
"""
from __future__ import annotations

import hashlib
import time
from functools import lru_cache

from flask import current_app
from redis.exceptions import RedisError

from saas.jobs import runtime

#: A wait longer than this is not slept in the worker: the message is retried later instead.
LONGEST_SLEEP = 1.0

# KEYS[1] the bucket; ARGV rate (tokens/s), burst. Redis' own clock, so every host agrees.
# Returns 0 when a token was taken, else the seconds until one will be there (none is taken).
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


@lru_cache(maxsize=16)
def _take_script(connection):
    """The bucket script, registered once per Redis connection (not once per send)."""
    return connection.register_script(_TAKE)


class NotYourTurn(Exception):
    """The number or the person has had enough for now; try again after ``wait`` seconds."""

    def __init__(self, wait: float, reason: str):
        self.wait = wait
        super().__init__(reason)


def pair_interval() -> float:
    return float(current_app.config.get("WHATSAPP_PAIR_INTERVAL", 6.0))


class PersonsTurn:
    """The person's turn, held from the pacing check until the gateway has the message.

    The window is taken at the check but counted again from the send (``restart``): the send
    leaves later, from a sending thread, and the gateway counts from when it sees the message.
    """

    def __init__(self, connection, key: str, interval_ms: int):
        self.connection, self.key, self.interval_ms = connection, key, interval_ms

    def restart(self) -> None:
        if self.interval_ms > 0:
            try:
                self.connection.set(self.key, 1, px=self.interval_ms)
            except RedisError:
                pass  # the window taken at the check still stands; the send itself happened


def wait_for_turn(phone_number_id: str, recipient: str, per_second: int) -> PersonsTurn:
    """Return when this number may send to this person now; raise ``NotYourTurn`` otherwise."""
    connection = runtime().connection()
    person = hashlib.sha256(recipient.encode()).hexdigest()[:16]  # no phone number in Redis keys
    pair_key = f"antar:wa:pair:{phone_number_id}:{person}"
    interval_ms = int(pair_interval() * 1000)
    if interval_ms > 0 and not connection.set(pair_key, 1, nx=True, px=interval_ms):
        left = connection.pttl(pair_key)
        raise NotYourTurn(max(left, 1) / 1000, "the same person had a message moments ago (131056)")
    bucket = f"antar:wa:rate:{phone_number_id}"
    take = _take_script(connection)
    deadline = time.monotonic() + LONGEST_SLEEP
    while True:
        # A bucket of one: sends are spaced 1/rate apart, so no second (however it is cut) holds
        # more than the rate, where a full bucket would let a burst double it at the edges.
        wait = float(take(keys=[bucket], args=[per_second, 1]))
        if wait <= 0:
            return PersonsTurn(connection, pair_key, interval_ms)
        if time.monotonic() + wait > deadline:
            if interval_ms > 0:
                connection.delete(pair_key)  # this send did not happen: the person's turn is not used
            raise NotYourTurn(wait, f"the number's {per_second}/s is used up (130429)")
        time.sleep(wait)
