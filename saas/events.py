"""Domain events: a change first asks whether it may happen, then happens, then is told.

The owner of a lifecycle (documents, deliveries, messages, ratings) describes each change as a
small frozen dataclass. Before changing anything it calls ``ask(event)``: the checks subscribed
to that event type may refuse (raise a ``Refusal``) while nothing has changed yet. It then
changes the state, records the change, and calls ``publish(event)``: the subscribers follow
(a booking is freed, a message is written, a rollup is touched) in the same transaction. A
subscriber that refuses after the change is a programming error, not a refusal.

Subscribers are wired per application, by one ``wire(app)`` function per capability that
``create_app`` calls in the order it lists; nothing subscribes by being imported.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable

from flask import Flask, current_app


class Refusal(Exception):
    """A change the domain does not allow; ``message`` says why, in the user's language."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class LateRefusal(RuntimeError):
    """A subscriber refused after the change was made: it should have been a check."""


class EventBus:
    def __init__(self) -> None:
        self._checks: dict[type, list[Callable]] = defaultdict(list)
        self._subscribers: dict[type, list[Callable]] = defaultdict(list)

    def check(self, event_type: type, check: Callable) -> None:
        """``check(event)`` runs before the change; it may raise a ``Refusal``."""
        if check not in self._checks[event_type]:
            self._checks[event_type].append(check)

    def subscribe(self, event_type: type, subscriber: Callable) -> None:
        """``subscriber(event)`` runs after the change, in the same transaction."""
        if subscriber not in self._subscribers[event_type]:
            self._subscribers[event_type].append(subscriber)

    def ask(self, event) -> None:
        for check in self._checks.get(type(event), ()):
            check(event)

    def publish(self, event) -> None:
        for subscriber in self._subscribers.get(type(event), ()):
            try:
                subscriber(event)
            except Refusal as exc:
                raise LateRefusal(f"{subscriber.__qualname__} refused {type(event).__name__} after it "
                                  f"happened: {exc}") from exc

    def describe(self) -> dict[str, dict[str, list[str]]]:
        """Who listens to what, in order (for ARCHITECTURE.md's reader and the tests)."""
        names = {t.__name__ for t in (*self._checks, *self._subscribers)}
        by_name = {t.__name__: t for t in (*self._checks, *self._subscribers)}
        return {name: {"checks": [f"{f.__module__}.{f.__qualname__}" for f in self._checks.get(by_name[name], ())],
                       "subscribers": [f"{f.__module__}.{f.__qualname__}"
                                       for f in self._subscribers.get(by_name[name], ())]}
                for name in sorted(names)}


def init_app(app: Flask) -> EventBus:
    bus = app.extensions["antar_events"] = EventBus()
    return bus


def bus(app: Flask | None = None) -> EventBus:
    return (app or current_app).extensions["antar_events"]


def ask(event) -> None:
    bus().ask(event)


def publish(event) -> None:
    bus().publish(event)
