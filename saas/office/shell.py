"""The office's blueprint factory, its menu and the document page's panels."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, Flask, current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from saas.tenancy.web import city_blueprint


def office_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A city blueprint under ``/<slug>/office``: every office page of every capability."""
    return city_blueprint(name, import_name, "/office" + url_prefix)


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: object
    role: str  # the least role that sees it
    section: str  # endpoints starting with this mark the item as the current page


#: The office menu, in the order staff read it. Endpoints are named, not imported: the shell
#: sits below the capabilities whose pages it lists.
MENU: tuple[MenuItem, ...] = (
    MenuItem("office.home", _l("Queue"), "operator", "office.home|office.document"),
    MenuItem("office.import_upload", _l("Import"), "operator", "office.import"),
    MenuItem("office_couriers.handover", _l("Handover desk"), "operator", "office_couriers.handover"),
    MenuItem("office_couriers.day_handovers", _l("Handover list"), "operator", "office_couriers.day_handovers"),
    MenuItem("office_couriers.deliveries", _l("Deliveries"), "operator", "office_couriers.deliver"),
    MenuItem("office_messages.dead", _l("Messages"), "supervisor", "office_messages"),
    MenuItem("office_portal.bookings", _l("Slot bookings"), "operator", "office_portal.bookings"),
    MenuItem("office_portal.problems", _l("Problem reports"), "operator",
             "office_portal.problem|office_portal.move_problem|office_portal.reveal_problem"),
    MenuItem("office.pickup_desk", _l("Pickup desk"), "operator", "office.pickup"),
    MenuItem("office.returns_desk", _l("Returns"), "operator", "office.returns_desk"),
    MenuItem("office.report", _l("Daily report"), "supervisor", "office.report"),
    MenuItem("office_staff.staff", _l("Staff"), "supervisor", "office_staff"),
    MenuItem("office_access.access_log", _l("Access log"), "supervisor", "office_access"),
    MenuItem("office_privacy.requests_page", _l("Data-subject requests"), "supervisor", "office_privacy"),
    MenuItem("office_settings.settings", _l("Settings"), "admin", "office_settings"),
)


def is_current(item: MenuItem, endpoint: str | None) -> bool:
    return bool(endpoint) and any(endpoint.startswith(prefix) for prefix in item.section.split("|"))


def office_menu() -> dict:
    return {"office_menu": MENU, "is_current_menu_item": is_current}


# -- the document page's panels ------------------------------------------------------------------
_PANELS = "antar_office_document_panels"


def add_document_panel(app: Flask, panel: Callable) -> None:
    """A capability shows its part of a document on the office document page:
    ``panel(document) -> html`` (a rendered template), in the order the panels were added."""
    panels = app.extensions.setdefault(_PANELS, [])
    if panel not in panels:
        panels.append(panel)


def document_panels(document) -> list[Markup]:
    return [Markup(panel(document)) for panel in current_app.extensions.get(_PANELS, [])]
