"""The README's two quick-start commands are the ones CI runs."""
from __future__ import annotations

import subprocess

from saas.config import PROJECT_ROOT


def _readme_command(name: str) -> str:
    script = (
        f"sed -n '/<!-- {name} -->/,/<!-- \\/{name} -->/p' README.md | grep -v -e '^<!--' -e '^```'"
    )
    return subprocess.run(["bash", "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.strip()


def test_readme_has_exactly_the_two_quick_start_commands():
    demo = _readme_command("demo-command")
    tests = _readme_command("test-command")
    assert demo.count("\n") == 0 and tests.count("\n") == 0
    assert demo.startswith("python3 -m venv .venv && ") and demo.endswith("flask --app wsgi demo")
    assert tests.startswith("python3 -m venv .venv && ") and tests.endswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command_in_both_passes():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "readme_command test-command" in ci
    assert ci.count('bash -c "$TEST_COMMAND"') == 2
    assert "ANTAR_REQUIRE_SERVICES=1" in ci
