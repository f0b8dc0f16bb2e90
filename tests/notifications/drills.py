"""What the exactly-once drills share: real ``flask --app wsgi worker`` processes, the message
sandboxes served over HTTP by an app of the drill's own, a gateway that can have the worker whose
message it has just accepted SIGKILLed, a throwaway PostgreSQL cluster, and the count, per
message, of how many times a gateway accepted it.

Timeouts are shortened so a drill takes under a minute (``SHORTENED``); production's values, and
the recovery times they give, are in the README (Notifications, "Recovery times").
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from werkzeug.serving import make_server

from saas import create_app
from saas.config import PROJECT_ROOT
from saas.documents.lifecycle import Actor, transition
from saas.documents.models import Document
from saas.documents.services import DocumentRules, register_many
from saas.extensions import db
from saas.notifications.models import Notification
from saas.sandboxes import messages as sandbox
from saas.sandboxes.messages.store import recipient_key
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import free_port, missing_service, process_env
from tests.factories import document_values

#: A city whose messages go first by WhatsApp, and one whose go first by SMS.
CITY_OF = {"whatsapp": "tangerang-selatan", "sms": "makassar"}

#: The drills' timeouts, and production's (config.py) beside them:
SHORTENED = {
    "ANTAR_NOTIFICATION_CLAIM_TIMEOUT": "4",      # production 120 s: a dead worker's claim lapses
    "ANTAR_NOTIFICATION_STUCK_AFTER": "1",        # production 120 s: the sweeper re-nudges a row
    "ANTAR_SWEEP_INTERVAL": "1",                  # production 60 s: how often the sweeper looks
    # production 300 s: a lapsed WhatsApp claim waits this long, from the claim, for its receipt. It must
    # outlast the claim (as 300 s outlasts 120 s) by the receipt's way back, or the resend beats it;
    # the sandbox sends three receipts a message, one at a time, and on a busy machine lags by tens of s.
    "ANTAR_NOTIFICATION_RECEIPT_GRACE": "60",
    "ANTAR_NOTIFICATION_RETRY_DELAYS": "1,1,1,1",  # production 30, 120, 600, 3600 s
}
#: Statuses a message does not leave.
FINAL = ("sent", "delivered", "dead", "superseded")
MAYBE_SENT = "maybe sent, not repeated"


# -- the worker processes ---------------------------------------------------------------------
class Workers:
    """Real worker processes. Each is a single process (the worker runs its jobs itself, with its
    scheduler and cron leader as threads), so a SIGKILL to its pid kills exactly one worker."""

    def __init__(self, env: dict, logdir: Path):
        self.env = {**os.environ, **env}
        self.logdir = logdir
        self.processes: dict[int, subprocess.Popen] = {}
        self.roles: dict[int, str] = {}
        self._serial = 0
        self._lock = threading.Lock()

    def start(self, role: str, *options: str) -> int:
        with self._lock:
            self._serial += 1
            serial = self._serial
        log = open(self.logdir / f"worker-{serial}-{role}.log", "w")
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--name", f"drill-{role}-{serial}-{time.monotonic_ns()}",
             *options], cwd=PROJECT_ROOT, env=self.env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        with self._lock:
            self.processes[process.pid] = process
            self.roles[process.pid] = role
        return process.pid

    def alive(self, role: str | None = None) -> list[int]:
        with self._lock:
            return [pid for pid, p in self.processes.items()
                    if p.poll() is None and (role is None or self.roles[pid] == role)]

    def replace_the_dead(self, role: str, count: int, *options: str) -> int:
        """Start workers of ``role`` until ``count`` are alive; how many were started."""
        started = 0
        while len(self.alive(role)) < count:
            self.start(role, *options)
            started += 1
        return started

    def stop(self) -> None:
        with self._lock:
            processes = list(self.processes.values())
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def tails(self, lines: int = 15) -> str:
        return "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
                         for log in sorted(self.logdir.glob("worker-*.log")))


def socket_owner(client_port: int, server_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the client end of a TCP connection to this machine (from /proc)."""
    local, remote = f"0100007F:{client_port:04X}", f"0100007F:{server_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            inode = fields[9]
            break
    if inode in (None, "0"):
        return None
    wanted = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == wanted:
                    return pid
        except OSError:
            continue
    return None


# -- the gateway --------------------------------------------------------------------------------
@dataclass
class Kill:
    channel: str
    recipient: str
    pid: int


@dataclass
class Aim:
    """Kill the sender of every ``every``-th message accepted on ``channel``, ``times`` times."""

    channel: str
    every: int
    times: int
    senders: object  # () -> pids that may be killed
    accepted: int = 0
    kills: list[Kill] = field(default_factory=list)


class Gateway:
    """The app that serves the message sandboxes and takes their receipts, on a port of its own.

    Armed (``aim``), it SIGKILLs the worker process whose message the sandbox has just accepted
    and recorded, before the answer leaves: the gateway has the message and the worker has not
    recorded it, which is the state any kill between the gateway's answer and the commit of
    ``sent`` leaves behind (the commit is all or nothing), made certain instead of a race.
    """

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.aim: Aim | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        self.server.shutdown()

    @staticmethod
    def _send_of(path: str) -> str | None:
        if path.startswith("/sandbox/sms/api/sendsms"):
            return "sms"
        if path.startswith("/sandbox/whatsapp/v") and path.endswith("/messages"):
            return "whatsapp"
        return None

    def __call__(self, environ, start_response):
        channel = self._send_of(environ.get("PATH_INFO", ""))
        if channel is None or self.aim is None or self.aim.channel != channel:
            return self.app(environ, start_response)
        answer: dict = {}

        def keep(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return lambda data: None

        result = self.app(environ, keep)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        recipient = self._accepted(channel, answer["status"], body)
        if recipient is not None:
            self._maybe_kill(channel, recipient, int(environ["REMOTE_PORT"]))
        start_response(answer["status"], answer["headers"])
        return [body]

    @staticmethod
    def _accepted(channel: str, status: str, body: bytes) -> str | None:
        if not status.startswith("200"):
            return None
        data = json.loads(body)
        if channel == "sms":
            return recipient_key(data["to"]) if str(data.get("status")) == "1" else None
        return recipient_key(data["contacts"][0]["input"])

    def _maybe_kill(self, channel: str, recipient: str, client_port: int) -> None:
        aim = self.aim
        with self._lock:
            aim.accepted += 1
            if len(aim.kills) >= aim.times or aim.accepted < aim.every * (len(aim.kills) + 1):
                return
            pid = socket_owner(client_port, self.port, aim.senders())
            if pid is None or pid in {kill.pid for kill in aim.kills}:  # a killed wave's last answers
                return
            os.kill(pid, signal.SIGKILL)  # that one process: the other worker carries on
            aim.kills.append(Kill(channel, recipient, pid))


# -- a throwaway PostgreSQL cluster --------------------------------------------------------------
def postgres_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (``initdb`` + ``pg_ctl``, a free port, a temp dir),
    which it may restart at will: the shared server on 5432 is never touched. As root, the
    cluster runs as the ``postgres`` user (PostgreSQL refuses root)."""

    DATABASE = "antar_test_drill"

    def __init__(self):
        self.bin = postgres_binaries()
        if self.bin is None:
            missing_service("PostgreSQL's initdb/pg_ctl are not installed (/usr/lib/postgresql/*/bin)")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="antar-drill-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                missing_service("running as root, and there is no 'postgres' user to run a cluster as")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.data = self.dir / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.DATABASE}"

    def _run(self, *command: str, timeout: float = 60) -> None:
        result = subprocess.run([*self.as_user, *command], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o", options,
                  "-w", "start")
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.DATABASE)

    def restart(self) -> None:
        """As an operator restarts it: a fast shutdown (sessions cut), then up again."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"), "-m", "fast",
                  "-w", "restart")  # -l again, or the server keeps our stdout pipe open

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


# -- the drill's world -----------------------------------------------------------------------------
class Drill:
    """Documents marked ready in this process, sent by real workers to the sandboxes, counted."""

    def __init__(self, app, redis_url: str, logdir: Path, **worker_env):
        self.app = app  # any app on the drill's database (for reading the outbox)
        self.gateway = Gateway(None)
        self.marker = create_app({**app.config, "REDIS_URL": redis_url, "PUBLIC_BASE_URL": self.gateway.url})
        self.gateway.app = self.marker
        env = process_env(app, REDIS_URL=redis_url, ANTAR_PUBLIC_BASE_URL=self.gateway.url, ANTAR_SANDBOXES="1",
                          **{**SHORTENED, **worker_env})
        env["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
        self.workers = Workers(env, logdir)
        self.expected = 0
        self.started = time.monotonic()

    def close(self) -> None:
        self.workers.stop()
        self.gateway.shutdown()
        with self.marker.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()

    # documents
    def register(self, slug: str, count: int, first: int = 0) -> list[int]:
        serial = {"whatsapp": 1, "sms": 2}[next(c for c, s in CITY_OF.items() if s == slug)]
        with self.marker.app_context():
            tenant = get_tenant(slug)
            with tenant_bound(tenant):
                rules = DocumentRules(tenant)
                items = [rules.check(document_values(serial * 100_000 + n, registration_no=f"X{serial}-{n:05d}",
                                                     phone=f"0812{serial}{n:06d}7"))
                         for n in range(first, first + count)]
                assert all(item.ok for item in items), [item.errors for item in items if not item.ok][:3]
                register_many(items, Actor.system("drill"), note="drill")
                db.session.commit()
                ids = list(db.session.scalars(sa.select(Document.id).where(
                    Document.registration_no.like(f"X{serial}-%")).order_by(Document.id)))
        return ids[first:first + count]

    def mark_ready(self, slug: str, ids: list[int], batch: int = 50) -> None:
        """As the office does: a transaction per batch, each message enqueued after its commit."""
        for start in range(0, len(ids), batch):
            with self.marker.app_context():
                tenant = get_tenant(slug)
                with tenant_bound(tenant):
                    for document in db.session.scalars(sa.select(Document).where(
                            Document.id.in_(ids[start:start + batch]))):
                        transition(document, "ready", Actor.system("drill"))
                    db.session.commit()
        self.expected += len(ids)

    # the outcome
    def rows(self) -> list[Notification]:
        with self.app.app_context(), all_tenants():
            rows = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
            db.session.expunge_all()
            return rows

    def statuses(self) -> Counter:
        return Counter(row.status for row in self.rows())

    def all_final(self) -> bool:
        """One count, not the rows: this process also serves the gateway and takes the receipts."""
        try:
            with self.app.app_context(), all_tenants():
                final, total = db.session.execute(sa.select(
                    sa.func.count().filter(Notification.status.in_(FINAL)), sa.func.count())).one()
        except sa.exc.OperationalError:  # the database is restarting
            return False
        return total >= self.expected and final == total

    def wait_until_final(self, timeout: float, between=None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if between is not None:
                between()
            if self.all_final():
                return
            time.sleep(0.2)
        raise AssertionError(f"not every message reached a final status in {timeout:.0f} s: "
                             f"{dict(self.statuses())}\n{self.workers.tails()}")

    def tally(self) -> "Tally":
        """Stop the workers, then count: per message, how many times a gateway accepted it."""
        self.workers.stop()
        time.sleep(0.3)  # the last receipts
        rows = self.rows()
        accepted = Counter((m["channel"], m["recipient"]) for m in sandbox.received())
        return Tally(rows, accepted, time.monotonic() - self.started)


@dataclass
class Tally:
    rows: list[Notification]
    accepted: Counter
    seconds: float

    def times(self, row: Notification) -> int:
        return self.accepted[(row.channel, recipient_key(row.recipient))]

    @property
    def lost(self) -> list[Notification]:
        """Never accepted, and not told so: an SMS "maybe sent" is the office's to resend."""
        maybe = {row.id for row in self.maybe_sent()}
        return [row for row in self.rows if self.times(row) == 0 and row.id not in maybe]

    def not_sent_after_all(self) -> list[Notification]:
        """SMS marked "maybe sent" that no gateway accepted: their wave was cut before they left."""
        return [row for row in self.maybe_sent() if self.times(row) == 0]

    @property
    def doubled(self) -> list[Notification]:
        return [row for row in self.rows if self.times(row) > 1]

    @property
    def unknown(self) -> list:
        """Messages a gateway accepted that no row of the outbox accounts for."""
        known = {(row.channel, recipient_key(row.recipient)) for row in self.rows}
        return [key for key in self.accepted if key not in known]

    def of(self, channel: str) -> list[Notification]:
        return [row for row in self.rows if row.channel == channel]

    def maybe_sent(self) -> list[Notification]:
        return [row for row in self.rows if row.status == "dead" and MAYBE_SENT in (row.last_error or "")]

    def summary(self, label: str) -> str:
        by_channel = Counter((row.channel, row.status) for row in self.rows)
        return (f"{label}: {len(self.rows)} messages in {self.seconds:.0f} s, lost {len(self.lost)}, "
                f"doubled {len(self.doubled)}, uncertain SMS {len(self.maybe_sent())} "
                f"({len(self.not_sent_after_all())} of them never left); {dict(by_channel)}")

    def describe(self, rows: list[Notification]) -> str:
        return "\n".join(f"  #{r.id} {r.channel} {r.status} attempts={r.attempts} accepted={self.times(r)} "
                         f"error={r.last_error!r}" for r in rows[:20])


def _timeline(rows: list[Notification]) -> str:
    """When each copy was accepted, and when its receipts got an answer: a late receipt or a resend?"""
    lines = []
    for row in rows:
        copies = [m for m in sandbox.received(row.channel) if m["recipient"] == recipient_key(row.recipient)]
        for copy in copies:
            answered = [(r["status"], r["time"][11:23], r["http_status"]) for r in sandbox.receipt_log(row.channel)
                        if r["message_id"] == copy["id"]]
            lines.append(f"  #{row.id} accepted {copy['time'][11:23]}, receipts {answered}")
    return "\n".join(lines)


def assert_exactly_once(tally: Tally, label: str) -> None:
    """0 lost and 0 doubled; an SMS whose send was uncertain is dead with the reason, sent at most
    once (its wave was on its way when the worker died: some of it may not have left)."""
    print(tally.summary(label))
    assert not tally.lost, f"{label}: {len(tally.lost)} message(s) never reached a gateway:\n{tally.describe(tally.lost)}"
    assert not tally.doubled, (f"{label}: {len(tally.doubled)} message(s) sent twice:\n{tally.describe(tally.doubled)}\n"
                               f"{_timeline(tally.doubled[:5])}")
    assert not tally.unknown, f"{label}: gateways accepted messages no row accounts for: {tally.unknown[:5]}"
    for row in tally.rows:
        assert row.status in ("sent", "delivered") or row in tally.maybe_sent(), tally.describe([row])
        if row in tally.maybe_sent():
            assert row.channel == "sms", tally.describe([row])  # only SMS cannot be repeated safely
