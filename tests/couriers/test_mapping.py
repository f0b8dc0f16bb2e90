"""Every courier status has its unified meaning, and a delivery never moves backwards."""
from __future__ import annotations

import itertools

import pytest

from saas.couriers.lifecycle import RANK, can_move
from saas.couriers.models import DELIVERY_STATUSES, TERMINAL
from saas.couriers.providers import PROVIDERS

GOSEND = ["confirmed", "allocated", "out_for_pickup", "picked", "out_for_delivery", "on_hold", "delivered",
          "cancelled", "rejected", "no_driver"]
GRAB = ["QUEUEING", "ALLOCATING", "PENDING_PICKUP", "PICKING_UP", "PENDING_DROP_OFF", "IN_DELIVERY",
        "COMPLETED", "IN_RETURN", "RETURNED", "CANCELED", "CANCELLED", "FAILED"]


def test_three_providers_are_found_by_module():
    assert set(PROVIDERS) == {"gosend", "grab", "manual"}


@pytest.mark.parametrize("provider, codes", [("gosend", GOSEND), ("grab", GRAB)])
def test_every_provider_status_maps_onto_a_unified_one(provider, codes):
    mapping = PROVIDERS[provider].statuses
    assert sorted(mapping) == sorted(codes)
    assert set(mapping.values()) <= set(DELIVERY_STATUSES)


@pytest.mark.parametrize("code, unified", [
    ("confirmed", "booked"), ("allocated", "driver_assigned"), ("out_for_pickup", "driver_assigned"),
    ("picked", "picked_up"), ("out_for_delivery", "picked_up"), ("on_hold", "on_hold"),
    ("delivered", "delivered"), ("cancelled", "cancelled"), ("rejected", "failed"), ("no_driver", "failed"),
])
def test_gosend_mapping(code, unified):
    assert PROVIDERS["gosend"].statuses[code] == unified


@pytest.mark.parametrize("code, unified", [
    ("QUEUEING", "booked"), ("ALLOCATING", "booked"), ("PENDING_PICKUP", "driver_assigned"),
    ("PICKING_UP", "driver_assigned"), ("PENDING_DROP_OFF", "picked_up"), ("IN_DELIVERY", "picked_up"),
    ("COMPLETED", "delivered"), ("IN_RETURN", "on_hold"), ("RETURNED", "returned"), ("CANCELED", "cancelled"),
    ("CANCELLED", "cancelled"), ("FAILED", "failed"),
])
def test_grab_mapping(code, unified):
    assert PROVIDERS["grab"].statuses[code] == unified


def test_never_backwards_never_out_of_a_terminal_state():
    for current, new in itertools.product(DELIVERY_STATUSES, repeat=2):
        if current in TERMINAL or current == new:
            assert not can_move(current, new)
        elif {current, new} == {"picked_up", "on_hold"}:
            assert can_move(current, new)
        else:
            assert can_move(current, new) == (RANK[new] > RANK[current]), (current, new)
