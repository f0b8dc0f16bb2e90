"""Pages a person uses in the demo: "play the driver" (push a booking along by hand), the
tracking page a citizen opens from a courier link, and the photos those pages and the
couriers' payloads point at. Plain HTML forms, no scripts, no external assets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Response, redirect, render_template_string, request, url_for
from markupsafe import escape

from saas.sandboxes.couriers import couriers_bp, gosend, grab, store

PROVIDER = "/<any(gosend, grab):provider>"


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    statuses: frozenset[str]  # where the button is offered

    def offered(self, status: str) -> bool:
        return status in self.statuses


def _open(paths: dict, *extra: str) -> frozenset[str]:
    return frozenset(status for path in paths.values() for status in path[:-1]) | frozenset(extra)


def _towards_delivery(paths: dict, *extra: str) -> frozenset[str]:
    return frozenset(paths["happy"][:-1]) | frozenset(extra)


ACTIONS = {
    "gosend": (
        Action("next", "Next step", _open(gosend.PATHS)),
        Action("no_driver", "No driver", frozenset({"confirmed"})),
        Action("hold", "On hold", frozenset({"picked", "out_for_delivery"})),
        Action("deliver", "Deliver", _towards_delivery(gosend.PATHS, "on_hold")),
        Action("cancel", "Cancel", gosend.COURIER.cancellable),
    ),
    "grab": (
        Action("next", "Next step", _open(grab.PATHS, "QUEUEING")),
        Action("no_driver", "No driver", frozenset({"QUEUEING", "ALLOCATING"})),
        Action("return", "Return", frozenset({"PENDING_DROP_OFF", "IN_DELIVERY"})),
        Action("deliver", "Deliver", _towards_delivery(grab.PATHS, "QUEUEING")),
        Action("cancel", "Cancel", grab.COURIER.cancellable),
    ),
}
# What each forcing button sets; "next" and "deliver" follow paths instead.
FORCED = {
    ("gosend", "no_driver"): "no_driver", ("gosend", "hold"): "on_hold", ("gosend", "cancel"): "cancelled",
    ("grab", "no_driver"): "FAILED", ("grab", "return"): "IN_RETURN", ("grab", "cancel"): "CANCELED",
}

STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:46rem;padding:.75rem;color:#222;background:#f6f6f4}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin:.2rem 0}a{color:#0a6}
.card{background:#fff;border:1px solid #ddd;border-radius:.5rem;padding:.75rem;margin:.6rem 0}
.status{display:inline-block;font-weight:600;padding:.1rem .45rem;border-radius:.3rem;background:#e7f3ee}
.closed{background:#eee;color:#666}.muted{color:#666;font-size:.9rem}
form.inline{display:inline}button{font-size:1rem;padding:.45rem .8rem;margin:.2rem .2rem 0 0;border-radius:.35rem;
border:1px solid #0a6;background:#fff;cursor:pointer}button.main{background:#0a6;color:#fff}
.note{background:#fff4d6;border:1px solid #e8c56b;padding:.5rem;border-radius:.35rem}
ol{padding-left:1.2rem;margin:.3rem 0}img{border-radius:50%;vertical-align:middle}
"""

DRIVER_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{{ label }} sandbox — play the driver</title>
<style>{{ style }}</style></head><body>
<h1>{{ label }} sandbox — play the driver</h1>
<p class="muted">Other courier: {% for other in others %}<a href="{{ url_for('sandbox_couriers.driver_page', provider=other) }}">{{ other }}</a> {% endfor %}
· new bookings follow <b>{{ scenario }}</b>{% if auto %} · auto-advance on{% endif %}</p>
<form method="post" action="{{ url_for('sandbox_couriers.driver_scenario', provider=provider) }}">
<label>Scenario for new bookings <select name="scenario">{% for name in scenarios %}
<option value="{{ name }}"{% if name == scenario %} selected{% endif %}>{{ name }}</option>{% endfor %}</select></label>
<button type="submit">Set</button></form>
{% if note %}<p class="note">{{ note }}</p>{% endif %}
{% for b in bookings %}<div class="card">
<h2>{{ b.ref }} <span class="status{% if b.closed %} closed{% endif %}">{{ b.status }}</span></h2>
<div class="muted">order {{ b.merchant_order_id }} · {{ b.service }} · {{ b.distance_km }} km · Rp {{ "{:,}".format(b.price) }} · scenario {{ b.scenario }}</div>
<div>To {{ b.destination.contact_name }} ({{ b.destination.contact_phone }}), {{ b.destination.address }}</div>
{% if b.driver %}<div>Driver {{ b.driver.name }} · {{ b.driver.phone }} · {{ b.driver.plate }}</div>{% endif %}
{% if b.pickup_pin %}<div>Pickup PIN {{ b.pickup_pin }}</div>{% endif %}
{% if b.reason %}<div class="muted">{{ b.reason }}</div>{% endif %}
<div class="muted">{{ b.history | map(attribute=0) | join(" → ") }} · <a href="{{ b.tracking_url }}">tracking page</a></div>
{% for action in actions if action.offered(b.status) %}<form class="inline" method="post"
 action="{{ url_for('sandbox_couriers.driver_action', provider=provider, ref=b.ref, action=action.name) }}">
<button type="submit"{% if action.name == "next" %} class="main"{% endif %}>{{ action.label }}</button></form>{% endfor %}
</div>{% else %}<p>No bookings yet.</p>{% endfor %}
</body></html>"""

TRACKING_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="refresh" content="15">
<title>{{ label }} — {{ b.ref }}</title><style>{{ style }}</style></head><body>
<h1>{{ label }} delivery {{ b.ref }}</h1>
<div class="card"><p><span class="status{% if b.closed %} closed{% endif %}">{{ b.status }}</span></p>
<p>From {{ b.origin.name }}, {{ b.origin.address }}<br>To {{ b.destination.contact_name }}, {{ b.destination.address }}</p>
{% if b.driver %}<p><img src="{{ b.driver.photo_url }}" width="48" height="48" alt=""> {{ b.driver.name }}
· {{ b.driver.plate }} · {{ b.driver.motorbike }}</p>{% endif %}
{% if b.reason %}<p class="muted">{{ b.reason }}</p>{% endif %}
{% if b.proof_photo_url %}<p><a href="{{ b.proof_photo_url }}">Proof of delivery</a>
{% if b.receiver_name %}· received by {{ b.receiver_name }}{% endif %}</p>{% endif %}
<ol>{% for status, at in b.history %}<li>{{ status }} <span class="muted">{{ at }}</span></li>{% endfor %}</ol>
</div></body></html>"""


@couriers_bp.get(f"{PROVIDER}/")
def driver_page(provider: str):
    return render_template_string(
        DRIVER_PAGE, style=STYLE, provider=provider, label=store.courier(provider).label,
        others=[other for other in store.providers() if other != provider],
        scenario=store.default_scenario(provider), scenarios=store.scenarios(provider),
        auto=store.auto_advance(provider), bookings=store.bookings(provider),
        actions=ACTIONS[provider], note=request.args.get("note"),
    )


@couriers_bp.post(f"{PROVIDER}/_driver/scenario")
def driver_scenario(provider: str):
    try:
        store.set_scenario(provider, request.form.get("scenario", ""))
    except ValueError as exc:
        return back(provider, str(exc))
    return back(provider)


@couriers_bp.post(f"{PROVIDER}/_driver/<ref>/<action>")
def driver_action(provider: str, ref: str, action: str):
    try:
        if action == "next":
            store.advance(provider, ref)
        elif action == "deliver":
            store.set_booking_scenario(provider, ref, "happy")
            store.run(provider, ref)
        elif (provider, action) in FORCED:
            store.set_status(provider, ref, FORCED[(provider, action)])
        else:
            return back(provider, f"Unknown action {action}")
    except store.UnknownBooking:
        return back(provider, f"Unknown booking {ref}")
    except store.BookingClosed as exc:
        return back(provider, str(exc))
    return back(provider)


def back(provider: str, note: str | None = None):
    return redirect(url_for("sandbox_couriers.driver_page", provider=provider, note=note))


@couriers_bp.get(f"{PROVIDER}/track/<ref>")
def tracking_page(provider: str, ref: str):
    try:
        snapshot = store.booking(provider, ref)
    except store.UnknownBooking:
        return "Unknown delivery", 404
    return render_template_string(TRACKING_PAGE, style=STYLE, label=store.courier(provider).label, b=snapshot)


@couriers_bp.get(f"{PROVIDER}/_photos/drivers/<name>.svg")
def driver_photo(provider: str, name: str):
    """A round avatar with the driver's initials (the name is in the file name)."""
    initials = "".join(part[0] for part in re.findall(r"[a-z]+", name.lower())[:2]).upper() or "?"
    return svg(f'<circle cx="48" cy="48" r="48" fill="#0a6"/><text x="48" y="60" font-size="34" '
               f'text-anchor="middle" fill="#fff" font-family="sans-serif">{escape(initials)}</text>', 96, 96)


@couriers_bp.get(f"{PROVIDER}/_photos/proof/<ref>.svg")
def proof_photo(provider: str, ref: str):
    """A stand-in proof-of-delivery photo: the parcel's reference and who received it."""
    try:
        snapshot = store.booking(provider, ref)
        receiver = snapshot["receiver_name"] or snapshot["destination"]["contact_name"]
    except store.UnknownBooking:
        receiver = ""
    return svg(f'<rect width="320" height="200" fill="#efe9dc"/><rect x="110" y="50" width="100" height="80" '
               f'fill="#c8a36a"/><text x="160" y="160" font-size="14" text-anchor="middle" font-family="sans-serif">'
               f'{escape(ref)}</text><text x="160" y="182" font-size="13" text-anchor="middle" '
               f'font-family="sans-serif">Received by {escape(receiver)}</text>', 320, 200)


def svg(content: str, width: int, height: int) -> Response:
    return Response(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                    f'viewBox="0 0 {width} {height}">{content}</svg>', mimetype="image/svg+xml")
