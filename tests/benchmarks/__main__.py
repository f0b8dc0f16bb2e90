"""Every benchmark in one command, each against its ceiling in its own run, one after the other:

    .venv/bin/python -m tests.benchmarks --database postgresql://postgres@127.0.0.1/antar_bench
    .venv/bin/python -m tests.benchmarks --database … --only web,office --quick

The parts (each also runs on its own, see its module): ``web`` (look-up, portal pages, worker RSS,
``import wsgi``; gunicorn and wrk against bare Flask), ``office`` (SIAK import against plain COPY, the
queue at 100,000 documents), ``compare`` (the console comparison at 514 cities against the raw scan)
``messages`` (the outbox against RQ's empty job, fairness, CPU per message) and ``demo`` (the
README's demo command to its first page; SQLite, so it ignores the database). Each empties the
given database first, so its name must contain ``bench`` or ``test``. ``--quick`` shrinks every part
(a tenth of the data, fewer rounds) to check the command works; its figures are not the README's.
Each part's output is printed as it comes; the machine and its load are printed before and after,
because the machine is shared and the figures mean little without them.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

import sqlalchemy as sa

from tests.benchmarks.common import machine

PARTS = {
    "web": (["tests.benchmarks.web"], ["--documents", "1000000"], ["--documents", "20000", "--rounds", "1",
                                                                    "--seconds", "3", "--mixed", "1000"]),
    "office": (["tests.benchmarks.office"], [], ["--scale", "0.1"]),
    "compare": (["tests.benchmarks.compare"], [], ["--scale", "0.1"]),
    "messages": (["tests.benchmarks.messages"], [], ["--count", "600", "--rounds", "1", "--burst", "200"]),
    "demo": (["tests.benchmarks.demo"], [], ["--rounds", "1"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a throwaway PostgreSQL database (emptied by each part)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts, of {', '.join(PARTS)}")
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the command, not the figures")
    args = parser.parse_args()
    if not re.search(r"bench|test", sa.engine.make_url(args.database).database or ""):
        sys.exit("--database must name a throwaway database ('bench' or 'test' in its name): every part empties it")
    chosen = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in PARTS]
    if unknown:
        sys.exit(f"unknown part(s): {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    print(f"# Antar benchmarks · {machine()} · load average {os.getloadavg()[0]:.1f}", flush=True)
    failed = []
    for part in chosen:
        module, full, quick = PARTS[part]
        command = [sys.executable, "-m", *module, "--database", args.database, *(quick if args.quick else full)]
        print(f"\n## {part}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        if subprocess.run(command).returncode != 0:
            failed.append(part)
        print(f"## {part}: {time.monotonic() - started:.0f} s, load average now {os.getloadavg()[0]:.1f}", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
