"""The README's demo command to its first page: ``flask --app wsgi demo`` on a fresh instance
directory, timed from the start of the process to the first 200 of ``/``, and on to the end of the
background history (when the pages stop saying it is still being made). Medians of ``--rounds``:

    .venv/bin/python -m tests.benchmarks.demo [--rounds 3]

Target (issue 13): the first page in under 15 s on a warm package cache. The demo is SQLite and
in-process jobs, so it needs no database argument (one is accepted, and ignored, so that
``python -m tests.benchmarks`` can pass the same arguments to every part).
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from tests.benchmarks.common import machine

STILL_MAKING = "Riwayat demo masih sedang dibuat"  # the banner every page shows until the history is made


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as refused:
        return refused.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout):
        return 0, ""


def one_round(limit: float = 300.0) -> tuple[float, float | None]:
    """Seconds to the first page, and to the history's end (None if not within ``limit``)."""
    port = _free_port()
    instance = tempfile.mkdtemp(prefix="antar-demo-bench-")
    env = {**os.environ, "ANTAR_INSTANCE_DIR": instance}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    started = time.monotonic()
    demo = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = done = None
    try:
        while time.monotonic() - started < limit:
            status, body = _get(f"http://127.0.0.1:{port}/")
            if status == 200:
                if first is None:
                    first = time.monotonic() - started
                if STILL_MAKING not in body:
                    done = time.monotonic() - started
                    break
            if demo.poll() is not None:
                raise SystemExit(f"the demo stopped (exit {demo.returncode}) before its history was made")
            time.sleep(0.2)
    finally:
        demo.terminate()
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
    if first is None:
        raise SystemExit(f"no first page within {limit:.0f} s")
    return first, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default=None, help="ignored: the demo is SQLite")
    args = parser.parse_args()
    print(f"# demo benchmark · {machine()} · load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    firsts, dones = [], []
    for n in range(args.rounds):
        first, done = one_round()
        firsts.append(first)
        if done is not None:
            dones.append(done)
        print(f"  round {n + 1}: first page {first:.1f} s, history done "
              f"{'—' if done is None else f'{done:.1f} s'}, load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"README's demo command → first page: median {statistics.median(firsts):.1f} s "
          f"({min(firsts):.1f}–{max(firsts):.1f}) over {len(firsts)} rounds (target < 15 s)"
          + (f"; whole history {statistics.median(dones):.1f} s" if dones else ""), flush=True)


if __name__ == "__main__":
    main()
