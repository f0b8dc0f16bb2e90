"""Printed records: every office paper comes out on A4 or on an 80 mm thermal roll, the same way.

Indonesian offices file a signed paper for what leaves the counter; these helpers give each
printable page the paper choice (``?paper=80mm``), the stamp of its moment in the city's own time,
and the links between the two papers. The pages themselves live with the records they print.
"""
from __future__ import annotations

from datetime import datetime

from flask import request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from saas.i18n import zone_abbreviation
from saas.models import utcnow
from saas.tenancy.scope import current_tenant

#: The papers an office prints on, the first one the default.
PAPERS = {"a4": _l("A4"), "80mm": _l("80 mm roll")}


def paper_choice() -> str:
    """The paper this request asked for; anything unknown is A4."""
    wanted = request.args.get("paper", "")
    return wanted if wanted in PAPERS else "a4"


def paper_url(paper: str) -> str:
    """This very page on another paper, its other arguments kept."""
    args = {key: value for key, value in request.args.items() if key not in ("paper", "lang")}
    if paper != "a4":
        args["paper"] = paper
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def printed_moment(moment: datetime | None) -> str:
    """"Rabu, 25 November 2026, pukul 10.15 WITA": the day and hour in the city's own time."""
    if moment is None:
        return ""
    return _("%(day)s, at %(time)s %(zone)s", day=format_datetime(moment, "EEEE, d MMMM y"),
             time=format_datetime(moment, "HH.mm"), zone=zone_abbreviation(current_tenant.timezone))


def printing_globals() -> dict:
    return {"papers": PAPERS, "paper_url": paper_url, "printed_at": utcnow()}
