"""Exactly once on WhatsApp and on SMS, through a worker killed mid-send, a Redis outage and a
PostgreSQL restart: real ``flask --app wsgi worker`` processes, a test-owned redis-server, the
sandboxes over HTTP, and per message the number of times a gateway accepted it.

Lost = a message no gateway ever accepted and no row says "maybe sent"; doubled = one accepted
twice. Both must be 0. An SMS whose wave was under way when its worker died ends ``dead`` with
"maybe sent, not repeated": the gateway has no idempotency key, so it is sent at most once (the
ones of the wave that had not left yet are not sent at all; the office sees them and resends).

The timeouts are shortened (``drills.SHORTENED``: a claim lapses after 4 s instead of 120 s, the
sweeper looks every second instead of every minute, a lapsed WhatsApp claim waits 60 s for its receipt
instead of 300 s, retries after 1 s instead of 30 s); production's recovery times are in the README.
"""
from __future__ import annotations

import time

import pytest

from tests.conftest import REQUIRE_SERVICES, TEST_DATABASE_URL, base_config
from tests.notifications.drills import CITY_OF, Aim, Drill, PrivatePostgres, assert_exactly_once

pytestmark = pytest.mark.services

KILLS = 12  # a single worker process, SIGKILLed this many times per channel
PER_CITY = 120
WAVE = 8  # SMS of one city on their way at once, their intents committed together


@pytest.fixture
def drill_world(app, redis_server, message_gateways, tmp_path):
    message_gateways.set_receipt_delay(0.1)
    made = []

    def make(database_app=None, **worker_env) -> Drill:
        drill = Drill(database_app or app, redis_server.url, tmp_path, **worker_env)
        made.append(drill)
        return drill

    yield make
    for drill in made:
        drill.close()


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_a_worker_killed_after_the_gateway_accepted_its_message_sends_nothing_twice(drill_world, channel):
    """12 SIGKILLs, each of the one worker process whose message the gateway has just accepted,
    before that worker could record ``sent``; another worker carries on, the dead one is replaced.

    Before the send intent, 5 SMS in 12 such kills went out twice. SMS go in waves of 8, their
    intents committed together: a kill leaves its wave "maybe sent" (sent at most once; the ones
    that had not left yet are not sent either, and the office sees them all). A separate worker leads the cron
    (the sweeper) so that a kill costs the claim's lapse, not the cron lease as well; the cron
    leader's own kill is drilled in tests/foundation/test_cron_leader.py.
    """
    # production 50: a kill strands 10 claims, not 50; SMS go in production's waves of 8
    drill = drill_world(ANTAR_NOTIFICATION_BATCH_SIZE="10", ANTAR_NOTIFICATION_SMS_WAVE=str(WAVE))
    slug = CITY_OF[channel]
    drill.mark_ready(slug, drill.register(slug, PER_CITY))
    # A killed SMS wave's other messages are never sent (nor accepted), so on SMS the kills come closer
    # together: spaced as on WhatsApp, a run here ended with 11 kills, the twelfth finding no message left.
    never_accepted = KILLS * (WAVE - 1) if channel == "sms" else 0
    drill.gateway.aim = aim = Aim(channel, every=(PER_CITY - never_accepted) // (KILLS + 1), times=KILLS,
                                  senders=lambda: drill.workers.alive("sender"))
    drill.workers.start("cron", "-q", "default")
    for _ in range(2):
        drill.workers.start("sender", "-q", "notifications", "--no-cron")

    drill.wait_until_final(300, between=lambda: drill.workers.replace_the_dead(
        "sender", 2, "-q", "notifications", "--no-cron"))
    tally = drill.tally()
    assert_exactly_once(tally, f"{len(aim.kills)} kills on {channel}")
    assert len(aim.kills) == KILLS, f"only {len(aim.kills)} kills landed"
    assert len({kill.pid for kill in aim.kills}) == KILLS  # each a different worker process
    targets = {kill.recipient for kill in aim.kills}
    for row in tally.rows:
        killed_during_its_send = row.recipient.lstrip("+") in targets
        if channel == "sms":  # dead, "maybe sent", sent at most once: the killed ones and their waves
            assert row in tally.maybe_sent() or not killed_during_its_send, tally.describe([row])
        else:  # WhatsApp's receipt, naming our row, recorded what the dead worker could not
            assert row.status in ("sent", "delivered"), tally.describe([row])
    if channel == "sms":  # a kill leaves at most its wave uncertain (a wave is at most a batch here)
        assert len(tally.maybe_sent()) <= KILLS * WAVE, tally.describe(tally.maybe_sent())


def test_redis_stopped_for_thirty_seconds_during_a_drain_loses_and_doubles_nothing(drill_world, redis_server):
    """Redis goes away mid-drain, with its queues, jobs, drain keys and cron state (no persistence);
    documents marked ready meanwhile are committed but cannot be enqueued. Everything goes once."""
    drill = drill_world()
    first = {channel: drill.register(slug, PER_CITY) for channel, slug in CITY_OF.items()}
    for channel, slug in CITY_OF.items():
        drill.mark_ready(slug, first[channel][:PER_CITY // 2])
    for _ in range(2):
        drill.workers.start("worker")

    from saas.sandboxes import messages as sandbox

    deadline = time.monotonic() + 60
    while len(sandbox.received()) < PER_CITY // 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sandbox.received()) >= PER_CITY // 2, drill.workers.tails()
    redis_server.stop()
    stopped = time.monotonic()
    for channel, slug in CITY_OF.items():  # written while Redis is down: only the sweeper knows
        drill.mark_ready(slug, first[channel][PER_CITY // 2:])
    time.sleep(max(0.0, 30 - (time.monotonic() - stopped)))
    redis_server.start()

    drill.wait_until_final(300)
    assert_exactly_once(drill.tally(), "Redis stopped 30 s")


@pytest.fixture
def private_postgres():
    if not (TEST_DATABASE_URL or REQUIRE_SERVICES):
        pytest.skip("the PostgreSQL restart drill runs in the PostgreSQL pass (ANTAR_TEST_DATABASE_URL)")
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def test_postgresql_restarted_during_a_drain_loses_and_doubles_nothing(drill_world, private_postgres, tmp_path):
    """Three ``pg_ctl restart -m fast`` of a cluster of the test's own while both cities drain:
    before the DB-error retries and the SMS intent, 3 SMS in 400 went twice and 136 jobs failed."""
    from flask_migrate import upgrade

    from saas import create_app
    from saas.config import PROJECT_ROOT
    from saas.extensions import db
    from saas.sandboxes import messages as sandbox
    from saas.tenancy.services import sync_tenants
    from tests.conftest import TENANTS_DIR

    database_app = create_app(base_config(tmp_path, private_postgres.url))
    with database_app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        sync_tenants(TENANTS_DIR)
        db.session.commit()
    drill = drill_world(database_app)
    for channel, slug in CITY_OF.items():
        drill.mark_ready(slug, drill.register(slug, PER_CITY))
    for _ in range(2):
        drill.workers.start("worker")

    restarts = []
    for threshold in (40, 100, 160):
        deadline = time.monotonic() + 60
        while len(sandbox.received()) < threshold and time.monotonic() < deadline:
            time.sleep(0.02)
        private_postgres.restart()
        restarts.append(len(sandbox.received()))
    drill.wait_until_final(300)
    tally = drill.tally()
    assert_exactly_once(tally, f"PostgreSQL restarted at {restarts} accepted messages")
    assert restarts[-1] < 2 * PER_CITY, "the restarts came after the drain"
    with database_app.app_context():
        db.session.remove()
        db.engine.dispose()
