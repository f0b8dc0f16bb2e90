"""WhatsApp's limits, kept by every worker together: a token bucket per business number in Redis
(80 messages/s by default, a city setting up to the upgraded 1,000/s) and about one message per
6 s to the same person. A drain asks without waiting (``try_turn``): when the number has had
enough for now it learns how long to wait and sends another city's message meanwhile; a wait
longer than ``LONGEST_SLEEP``, or the person's own interval, hands the message back to be retried
later without spending one of its attempts.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from redis.exceptions import RedisError

from saas.jobs import runtime

#: A wait longer than this is not waited out in the worker: the message is retried later instead.
LONGEST_SLEEP = 1.0

# KEYS[1] the number's bucket, KEYS[2] the person's key; ARGV rate (tokens/s), burst, pair ms.
# Both are taken or neither, in one round trip, on Redis' own clock (so every host agrees).
# Returns {0, 0} when the turn is taken; {1, wait} when the number must wait (seconds, a string);
# {2, wait} when the person had a message within the pair interval.
_TAKE = """
local rate, burst, pair_ms = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if pair_ms > 0 then
  local left = redis.call('PTTL', KEYS[2])
  if left > 0 then return {2, tostring(left / 1000)} end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
if tokens < 1 then return {1, tostring((1 - tokens) / rate)} end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
if pair_ms > 0 then redis.call('SET', KEYS[2], 1, 'PX', pair_ms) end
return {0, '0'}
"""

#: What ``try_turn`` answers besides a turn: the number is busy, or the person is.
NUMBER, PERSON = 1, 2


@lru_cache(maxsize=16)
def _take_script(connection):
    """The script, registered once per Redis connection (not once per send)."""
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


@dataclass(frozen=True)
class Answer:
    """``turn`` when the message may go now; else ``wait`` seconds, and whose (NUMBER, PERSON)."""

    turn: PersonsTurn | None
    wait: float = 0.0
    busy: int = 0

    def refusal(self, per_second: int) -> NotYourTurn:
        if self.busy == PERSON:
            return NotYourTurn(self.wait, "the same person had a message moments ago (131056)")
        return NotYourTurn(self.wait, f"the number's {per_second}/s is used up (130429)")


def try_turn(phone_number_id: str, recipient: str, per_second: int) -> Answer:
    """May this number send to this person now? Takes the turn if so; never sleeps."""
    connection = runtime().connection()
    person = hashlib.sha256(recipient.encode()).hexdigest()[:16]  # no phone number in Redis keys
    pair_key = f"antar:wa:pair:{phone_number_id}:{person}"
    interval_ms = int(pair_interval() * 1000)
    # A bucket of one: sends are spaced 1/rate apart, so no second (however it is cut) holds more
    # than the rate, where a full bucket would let a burst double it at the edges.
    busy, wait = _take_script(connection)(keys=[f"antar:wa:rate:{phone_number_id}", pair_key],
                                          args=[per_second, 1, interval_ms])
    if int(busy) == 0:
        return Answer(PersonsTurn(connection, pair_key, interval_ms))
    return Answer(None, max(float(wait), 0.001), int(busy))


def wait_for_turn(phone_number_id: str, recipient: str, per_second: int) -> PersonsTurn:
    """Return when this number may send to this person now (waiting up to ``LONGEST_SLEEP`` for
    the number); raise ``NotYourTurn`` otherwise. For a single send; a drain uses ``try_turn``."""
    deadline = time.monotonic() + LONGEST_SLEEP
    while True:
        answer = try_turn(phone_number_id, recipient, per_second)
        if answer.turn is not None:
            return answer.turn
        if answer.busy == PERSON or time.monotonic() + answer.wait > deadline:
            raise answer.refusal(per_second)
        time.sleep(answer.wait)
