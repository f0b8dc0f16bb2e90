"""Reading ``tenants/<slug>/`` into the database, and the city-level operations on a tenant."""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from defusedxml import ElementTree as SafeXML
from marshmallow import ValidationError

from saas.extensions import db
from saas.models import utcnow
from saas.tenancy.models import Tenant
from saas.tenancy.settings import SECTIONS, flatten_errors, section_columns, tenant_file_schema

LOGO_MAX_BYTES = 64 * 1024
SVG_NS = "{http://www.w3.org/2000/svg}"
_FORBIDDEN_SVG = ("script", "foreignObject", "iframe", "embed", "object")

@dataclass
class TenantFolder:
    """One city's folder, read and checked."""

    path: Path
    spec: dict
    logo_svg: str | None
    extras: dict = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.spec["slug"]

    @property
    def digest(self) -> str:
        payload = json.dumps({"spec": self.spec, "logo": self.logo_svg, "extras": self.extras},
                             sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()


class TenantFileError(Exception):
    """Some tenant folders are wrong; ``problems`` are (file, field, why) triples."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{f}: {fld}: {why}" for f, fld, why in problems))


def _check_logo(path: Path) -> tuple[str | None, list[tuple[str, str]]]:
    if not path.exists():
        return None, []
    raw = path.read_bytes()
    if len(raw) > LOGO_MAX_BYTES:
        return None, [("logo.svg", f"larger than {LOGO_MAX_BYTES // 1024} KiB")]
    try:
        root = SafeXML.fromstring(raw)
    except Exception as exc:  # defusedxml raises several kinds
        return None, [("logo.svg", f"not well-formed SVG ({exc})")]
    if root.tag not in ("svg", SVG_NS + "svg"):
        return None, [("logo.svg", "the root element is not <svg>")]
    for element in root.iter():
        local = element.tag.split("}")[-1]
        if local in _FORBIDDEN_SVG:
            return None, [("logo.svg", f"<{local}> is not allowed in a logo")]
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                return None, [("logo.svg", f"event handler '{name}' is not allowed")]
            if name.endswith("href") and not value.startswith("#"):
                return None, [("logo.svg", "a logo may not load anything from elsewhere")]
    return raw.decode("utf-8"), []


def read_tenant_folder(folder: Path) -> tuple[TenantFolder | None, list[tuple[str, str, str]]]:
    toml_path = folder / "tenant.toml"
    shown = str(toml_path)
    try:
        raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [(shown, "(file)", "not UTF-8 text")]
    except tomllib.TOMLDecodeError as exc:
        return None, [(shown, "(file)", f"not valid TOML: {exc}")]
    try:
        spec = tenant_file_schema()().load(raw)
    except ValidationError as exc:
        return None, [(shown, name, why) for name, why in flatten_errors(exc.messages)]
    problems: list[tuple[str, str, str]] = []
    if spec["slug"] != folder.name:
        problems.append((shown, "slug", f"'{spec['slug']}' does not match its folder '{folder.name}'"))
    logo, logo_problems = _check_logo(folder / "logo.svg")
    problems += [(str(folder / name), "(file)", why) for name, why in logo_problems]
    extras: dict = {}
    for check in [section.folder_check for section in SECTIONS.values() if section.folder_check]:
        found, check_problems = check(folder, spec)
        extras.update(found)
        problems += check_problems
    if problems:
        return None, problems
    return TenantFolder(path=folder, spec=spec, logo_svg=logo, extras=extras), []


def read_tenants_dir(directory: Path) -> list[TenantFolder]:
    """Every city folder under ``directory``, all checked; raises if any is wrong."""
    directory = Path(directory)
    if not directory.is_dir():
        raise TenantFileError([(str(directory), "(folder)", "no such folder")])
    folders, problems = [], []
    for candidate in sorted(p for p in directory.iterdir() if p.is_dir()):
        if not (candidate / "tenant.toml").exists():
            continue
        folder, found = read_tenant_folder(candidate)
        problems += found
        if folder:
            folders.append(folder)
    if not folders and not problems:
        problems.append((str(directory), "(folder)", "no <slug>/tenant.toml found"))
    if problems:
        raise TenantFileError(problems)
    return folders


def _apply(tenant: Tenant, folder: TenantFolder) -> list[str]:
    changed = []
    for section, column in section_columns().items():
        value = folder.spec.get(section)
        if column == "go_live_date" and value is not None:
            value = date.fromisoformat(value)
        if getattr(tenant, column) != value:
            setattr(tenant, column, value)
            changed.append(section)
    if tenant.logo_svg != folder.logo_svg:
        tenant.logo_svg = folder.logo_svg
        changed.append("logo")
    for key, value in folder.extras.items():
        if getattr(tenant, key) != value:
            setattr(tenant, key, value)
            changed.append(key)
    tenant.settings_digest = folder.digest
    return changed


def sync_tenants(directory: Path) -> list[str]:
    """Create or update a tenant per folder, all or nothing; returns what changed, in words."""
    folders = read_tenants_dir(directory)
    existing = {t.slug: t for t in db.session.scalars(sa.select(Tenant))}
    report = []
    try:
        for folder in folders:
            tenant = existing.get(folder.slug)
            if tenant is None:
                tenant = Tenant(slug=folder.slug, status="active")
                db.session.add(tenant)
                _apply(tenant, folder)
                report.append(f"created {folder.slug}")
            elif tenant.settings_digest != folder.digest:
                changed = _apply(tenant, folder)
                report.append(f"updated {folder.slug}: {', '.join(changed) or 'no visible change'}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for slug in sorted(set(existing) - {f.slug for f in folders}):
        report.append(f"kept {slug} (in the database, not in {directory})")
    return report


def get_tenant(slug: str) -> Tenant | None:
    return db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))


def list_tenants() -> list[Tenant]:
    return list(db.session.scalars(sa.select(Tenant).order_by(Tenant.slug)))


def suspend_tenant(tenant: Tenant, reason: str) -> None:
    """Pause a city: its portal shows the paused page and its API answers 503; nothing is deleted."""
    tenant.status = "suspended"
    tenant.suspended_at = utcnow()
    tenant.suspended_reason = reason.strip()[:500] or None


def resume_tenant(tenant: Tenant) -> None:
    tenant.status = "active"
    tenant.suspended_at = None
    tenant.suspended_reason = None
