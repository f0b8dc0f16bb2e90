"""A web worker loads only what its requests need: the libraries used by the job workers, the
settings checks or a rarely drawn page are imported where they are used, not by ``create_app``
(each is megabytes of every worker's memory and part of its start; issue 13)."""
from __future__ import annotations

import json
import subprocess
import sys

from saas.config import PROJECT_ROOT

# Sending messages and calling couriers (job workers), Kemendagri's region lists (``tenants sync``,
# the console), the holiday calendar and QR codes (the pages that show them).
NOT_AT_START = ("requests", "urllib3", "lokal", "holidays", "segno")


def test_a_web_worker_starts_without_the_libraries_its_requests_do_not_use(tmp_path):
    code = (
        "import json, sys\n"
        "from saas import create_app\n"
        f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/a.db', 'INSTANCE_DIR': {str(tmp_path)!r}, "
        "'SANDBOXES_ENABLED': False, 'EMBEDDED_WORKER': 'off', 'REDIS_URL': 'redis://127.0.0.1:1/0'})\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in %r)))\n" % (NOT_AT_START,))
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
