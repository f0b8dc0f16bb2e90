"""The layering of ARCHITECTURE.md, checked on every import statement of the package.

Capabilities, lowest first: tenancy, office, accounts, documents, couriers, notifications, portal,
privacy, api, stats, console (``saas.CAPABILITIES``). A module may import its own package, the shared
plumbing at the top of ``saas/``, and what a lower capability offers (its ``OFFERS``); the shared
plumbing imports no capability; only ``create_app`` plugs in the sandboxes.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import saas
from saas.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "saas"
LAYERS = [capability.__name__.split(".")[1] for capability in saas.CAPABILITIES]


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        if parts[1:2] == ("sandboxes",):
            continue
        yield path, ".".join(p for p in parts if p != "__init__")


def _imports(path: Path):
    """Every ``saas.…`` module named by an import statement, at any depth (lazy ones too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("saas"):
            if node.module == "saas":  # from saas import events, tenancy, …
                for alias in node.names:
                    yield node.lineno, f"saas.{alias.name}"
            else:
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    target = candidate if (PACKAGE / Path(*candidate.split(".")[1:])).with_suffix(".py").exists() \
                        or (PACKAGE / Path(*candidate.split(".")[1:])).is_dir() else node.module
                    yield node.lineno, target
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("saas"):
                    yield node.lineno, alias.name


def _capability(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _offered(target: str) -> bool:
    parts = target.split(".")
    package = importlib.import_module(f"saas.{parts[1]}")
    return len(parts) > 2 and parts[2] in getattr(package, "OFFERS", ())


def test_every_import_follows_the_layers():
    broken = []
    for path, module in _modules():
        if module == "saas":
            continue  # create_app is the composition root: it wires every capability
        home = _capability(module)
        for line, target in _imports(path):
            to = _capability(target)
            if target.startswith("saas.sandboxes"):
                broken.append(f"{module}:{line} imports the sandboxes ({target})")
            elif to is None or to == home:
                continue
            elif home is None:
                broken.append(f"{module}:{line} is shared plumbing but imports the capability {target}")
            elif LAYERS.index(to) > LAYERS.index(home):
                broken.append(f"{module}:{line} imports {target}, a layer above {home}")
            elif not _offered(target):
                broken.append(f"{module}:{line} imports {target}, which saas.{to} does not offer (OFFERS)")
    assert not broken, "\n".join(broken)


def test_the_rule_catches_an_upward_import(tmp_path, monkeypatch):
    """The check above can fail: an upward import written into a copy of a module is reported."""
    source = (PACKAGE / "documents" / "desks.py").read_text(encoding="utf-8")
    copy = tmp_path / "desks.py"
    copy.write_text(source + "\n\ndef _oops():\n    from saas.portal.services import find_document\n")
    targets = [target for _line, target in _imports(copy)]
    assert "saas.portal.services" in targets
    assert LAYERS.index(_capability("saas.portal.services")) > LAYERS.index("documents")


def test_only_create_app_names_the_sandboxes():
    naming = [str(path.relative_to(PROJECT_ROOT)) for path, module in _modules()
              if "saas.sandboxes" in path.read_text(encoding="utf-8")]
    assert naming == ["saas/__init__.py"]


@pytest.mark.parametrize("dotted", ["saas.couriers.services.BOOKING_JOB", "saas.notifications.services.DRAIN_JOB"])
def test_jobs_named_by_services_exist(dotted):
    """Services name their jobs instead of importing them (jobs import services): the names resolve."""
    module_name, attribute = dotted.rsplit(".", 1)
    job_path = getattr(importlib.import_module(module_name), attribute)
    job_module, job_name = job_path.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(job_module), job_name))


def test_no_services_module_imports_its_jobs():
    for path, module in _modules():
        if module.endswith(".services"):
            package = module.rsplit(".", 1)[0]
            assert f"{package}.jobs" not in [t for _l, t in _imports(path)], module


def test_subscribers_are_wired_in_the_order_of_the_layers(app):
    wiring = app.extensions["antar_events"].describe()
    assert wiring["DocumentMoving"]["checks"] == ["saas.couriers.services.courier_lets_go"]
    assert wiring["DocumentMoved"]["subscribers"] == [
        "saas.couriers.services.trip_follows_document",
        "saas.notifications.events.document_ready",
        "saas.portal.events.booking_follows_document",
        "saas.stats.jobs.document_moved",
    ]
    assert wiring["DeliveryMoved"]["subscribers"] == [
        "saas.notifications.events.delivery_news", "saas.stats.jobs.delivery_moved"]
