"""What each message says, in Bahasa Indonesia and English, and what a city may change.

A template is text with ``{field}`` placeholders. Every event allows a fixed set of fields;
a city's override in ``tenants/<slug>/templates/<event>.<lang>.txt`` (and an optional
``<event>.<lang>.subject.txt`` for e-mail) is checked when ``tenants sync`` reads it, so a
typo fails there and not in a send at 3 a.m. No field can carry a NIK.

WhatsApp only sends templates approved by Meta: each event has one (``antar_<event>``) whose
body parameters are the event's fields in a fixed order; the text below is what Antar stores
and shows for it.
"""
from __future__ import annotations

import string
from pathlib import Path
from saas.tenancy.scope import current_tenant

#: The "ready" template's quick replies: (payload sent back, label per language), in button order.
QUICK_REPLIES = (
    ("pickup", {"id": "Ambil di kantor", "en": "Collect at the office"}),
    ("courier", {"id": "Antar ke rumah", "en": "Deliver to my home"}),
    ("later", {"id": "Nanti saja", "en": "Later"}),
)

COMMON = ("name", "document_type", "registration_no", "city", "office_name", "office_address",
          "office_hours", "link")

EVENTS: dict[str, dict] = {
    "document_ready": {
        "fields": COMMON,
        "whatsapp": ("name", "document_type", "city", "link"),
        "id": ("{city}: {document_type} atas nama {name} sudah jadi. Pilih ambil di kantor sesuai jadwal "
               "atau diantar kurir ke rumah: {link}",
               "{document_type} Anda sudah jadi"),
        "en": ("{city}: the {document_type} of {name} is ready. Choose to collect it at the office in a "
               "booked slot or to have a courier bring it home: {link}",
               "Your {document_type} is ready"),
        # Quick-reply buttons of the approved WhatsApp template (its answer comes back in the chat);
        # SMS and e-mail carry the link only.
        "buttons": QUICK_REPLIES,
    },
    "pickup_booked": {
        "fields": COMMON + ("slot", "booking_code"),
        "whatsapp": ("name", "document_type", "slot", "booking_code"),
        "id": ("Jadwal ambil {document_type} atas nama {name}: {slot} di {office_name}, {office_address}. "
               "Tunjukkan kode {booking_code} di loket. Ubah jadwal: {link}",
               "Jadwal ambil {document_type}: {slot}"),
        "en": ("Your slot to collect the {document_type} of {name}: {slot} at {office_name}, "
               "{office_address}. Show code {booking_code} at the desk. Change it: {link}",
               "Your pickup slot: {slot}"),
    },
    "pickup_moved": {
        "fields": COMMON + ("slot", "booking_code"),
        "whatsapp": ("name", "document_type", "slot", "booking_code"),
        "id": ("Jadwal ambil {document_type} atas nama {name} dipindah ke {slot} di {office_name}, "
               "{office_address}. Kode baru: {booking_code}. Jadwal lama tidak berlaku. Ubah lagi: {link}",
               "Jadwal ambil {document_type} dipindah: {slot}"),
        "en": ("Your slot to collect the {document_type} of {name} moved to {slot} at {office_name}, "
               "{office_address}. New code: {booking_code}. The old slot no longer holds. Change it: {link}",
               "Your pickup slot moved: {slot}"),
    },
    "pickup_cancelled": {
        "fields": COMMON + ("slot", "booking_code"),
        "whatsapp": ("name", "document_type", "slot", "link"),
        "id": ("Jadwal ambil {document_type} atas nama {name} pada {slot} dibatalkan. Dokumen tetap menunggu "
               "di {office_name}; pilih jadwal baru atau minta diantar: {link}",
               "Jadwal ambil {document_type} dibatalkan"),
        "en": ("The slot to collect the {document_type} of {name} on {slot} is cancelled. The document still "
               "waits at {office_name}; choose a new slot or have it delivered: {link}",
               "Your pickup slot is cancelled"),
    },
    "pickup_reminder": {
        "fields": COMMON + ("slot", "booking_code"),
        "whatsapp": ("name", "document_type", "slot", "booking_code"),
        "id": ("Pengingat: besok {slot} ambil {document_type} atas nama {name} di {office_name}. "
               "Kode: {booking_code}. Tidak bisa datang? Ubah jadwal: {link}",
               "Pengingat jadwal ambil besok, {slot}"),
        "en": ("Reminder: tomorrow at {slot} collect the {document_type} of {name} at {office_name}. "
               "Code: {booking_code}. Cannot come? Change it: {link}",
               "Reminder: your pickup slot tomorrow, {slot}"),
    },
    "courier_booked": {
        "fields": COMMON + ("courier", "receipt_pin", "fee"),
        "whatsapp": ("name", "document_type", "courier", "receipt_pin"),
        "id": ("Kurir {courier} dipesan untuk mengantar {document_type} atas nama {name} (ongkos {fee}). "
               "Berikan PIN {receipt_pin} kepada pengemudi saat menerima amplop bersegel. Pantau: {link}",
               "Kurir dipesan untuk {document_type} Anda"),
        "en": ("A {courier} courier is booked to bring the {document_type} of {name} (fee {fee}). Give "
               "PIN {receipt_pin} to the driver when you receive the sealed envelope. Track it: {link}",
               "A courier is booked for your {document_type}"),
    },
    "driver_assigned": {
        "fields": COMMON + ("courier", "driver"),
        "whatsapp": ("name", "document_type", "driver", "link"),
        "id": ("Pengemudi {driver} akan mengambil {document_type} atas nama {name} di kantor. Pantau: {link}",
               "Pengemudi ditemukan"),
        "en": ("Driver {driver} will pick up the {document_type} of {name} at the office. Track it: {link}",
               "A driver is on the way"),
    },
    "picked_up": {
        "fields": COMMON + ("courier", "driver"),
        "whatsapp": ("name", "document_type", "driver", "link"),
        "id": ("{document_type} atas nama {name} sedang diantar oleh {driver}. Siapkan PIN penerimaan. "
               "Pantau: {link}",
               "{document_type} Anda dalam perjalanan"),
        "en": ("The {document_type} of {name} is on its way with {driver}. Have your receipt PIN ready. "
               "Track it: {link}",
               "Your {document_type} is on its way"),
    },
    "delivered": {
        "fields": COMMON + ("courier",),
        "whatsapp": ("name", "document_type", "link"),
        "id": ("{document_type} atas nama {name} sudah diterima. Mohon konfirmasi dan beri penilaian "
               "layanan: {link}",
               "{document_type} Anda sudah diterima"),
        "en": ("The {document_type} of {name} has been delivered. Please confirm and rate the service: {link}",
               "Your {document_type} was delivered"),
    },
    "delivery_failed": {
        "fields": COMMON + ("courier", "reason"),
        "whatsapp": ("name", "document_type", "reason", "link"),
        "id": ("Pengantaran {document_type} atas nama {name} tidak berhasil ({reason}). Dokumen aman di "
               "kantor; pilih lagi cara mengambilnya: {link}",
               "Pengantaran {document_type} tidak berhasil"),
        "en": ("Delivery of the {document_type} of {name} did not happen ({reason}). The document is safe at "
               "the office; choose again how to get it: {link}",
               "Delivery of your {document_type} did not happen"),
    },
    "delivery_returned": {
        "fields": COMMON + ("courier",),
        "whatsapp": ("name", "document_type", "link"),
        "id": ("{document_type} atas nama {name} dibawa kembali ke kantor oleh kurir. Pilih lagi cara "
               "mengambilnya: {link}",
               "{document_type} kembali ke kantor"),
        "en": ("The courier brought the {document_type} of {name} back to the office. Choose again how to "
               "get it: {link}",
               "Your {document_type} is back at the office"),
    },
    "uncollected_reminder": {
        "fields": COMMON + ("days",),
        "whatsapp": ("name", "document_type", "days", "link"),
        "id": ("{document_type} atas nama {name} sudah {days} hari menunggu di {office_name}. Ambil dengan "
               "jadwal tanpa antre atau minta diantar: {link}",
               "{document_type} Anda masih menunggu"),
        "en": ("The {document_type} of {name} has waited {days} days at {office_name}. Collect it in a "
               "booked slot or have it delivered: {link}",
               "Your {document_type} is still waiting"),
    },
    "problem_reply": {
        # The office's answer to a problem the citizen reported in the portal: {reply} is what staff wrote.
        "fields": COMMON + ("problem", "reply"),
        "whatsapp": ("name", "document_type", "problem", "reply", "link"),
        "id": ("{city}: balasan kantor atas laporan Anda tentang {document_type} atas nama {name} ({problem}): "
               "{reply} Lihat di: {link}",
               "Balasan atas laporan Anda: {document_type}"),
        "en": ("{city}: the office's reply to your report about the {document_type} of {name} ({problem}): "
               "{reply} See it at: {link}",
               "Reply to your report: {document_type}"),
    },
    "supervisor_digest": {
        "fields": ("name", "city", "day", "summary"),
        "whatsapp": ("name", "city", "day", "summary"),
        "id": ("Ringkasan {city} untuk {day}, {name}:\n{summary}", "Ringkasan harian {city}: {day}"),
        "en": ("{city} summary for {day}, {name}:\n{summary}", "Daily summary for {city}: {day}"),
    },
}
LANGUAGES = ("id", "en")

SAMPLE = {
    "name": "Siti Aminah", "document_type": "KTP-el", "registration_no": "6471-KTP-20261127-0001",
    "city": "Kota Balikpapan", "office_name": "Kantor Disdukcapil", "office_address": "Jl. MT Haryono",
    "office_hours": "Senin–Kamis 08.00–15.00", "link": "https://antar.example/balikpapan/d/abc",
    "slot": "Kamis, 3 Desember 2026 09.00", "booking_code": "JDW-7K3Q", "courier": "Go-Send",
    "receipt_pin": "123456", "fee": "Rp18.000", "driver": "Ag*** (KT 1234 AB)", "reason": "tidak ada pengemudi",
    "days": "7", "day": "27 November 2026", "summary": "Siap: 320 · Diambil: 210 · Diantar: 55",
    "problem": "Segel amplop rusak", "reply": "Kurir sudah kami tegur; dokumen Anda tetap sah.",
}


def fields_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def check_template(event: str, text: str) -> str | None:
    """Why ``text`` cannot be a template for ``event``, or None if it can."""
    if not text.strip():
        return "the template is empty"
    try:
        names = fields_of(text)
    except ValueError as exc:
        return f"not a template: {exc}"
    for name in names:
        if not name or not name.isidentifier():
            return "placeholders are names in braces, like {name}"
    unknown = names - set(EVENTS[event]["fields"])
    if unknown:
        return (f"unknown field(s) {', '.join('{' + n + '}' for n in sorted(unknown))}; allowed: "
                f"{', '.join('{' + f + '}' for f in EVENTS[event]['fields'])}")
    try:
        text.format(**SAMPLE)
    except (KeyError, IndexError, ValueError) as exc:
        return f"does not render: {exc}"
    return None


def read_city_templates(folder: Path, spec: dict) -> tuple[dict, list[tuple[str, str, str]]]:
    """A city's overrides from ``<folder>/templates``: {event: {lang: {"text", "subject"}}}, problems."""
    directory = folder / "templates"
    found: dict = {}
    problems: list[tuple[str, str, str]] = []
    if not directory.is_dir():
        return {"message_templates": {}}, []
    for path in sorted(directory.glob("*.txt")):
        parts = path.name[:-len(".txt")].split(".")
        subject = parts[-1] == "subject"
        if subject:
            parts = parts[:-1]
        if len(parts) != 2 or parts[0] not in EVENTS or parts[1] not in LANGUAGES:
            problems.append((str(path), "(file)", f"name it <event>.<id|en>.txt; events: {', '.join(EVENTS)}"))
            continue
        event, language = parts
        text = path.read_text(encoding="utf-8").strip()
        why = check_template(event, text)
        if why:
            problems.append((str(path), "(file)", why))
            continue
        found.setdefault(event, {}).setdefault(language, {})["subject" if subject else "text"] = text
    return {"message_templates": found}, problems


def template_for(event: str, language: str) -> tuple[str, str]:
    """(text, subject) for the city: its override if it has one, else the default."""
    tenant = current_tenant
    default_text, default_subject = EVENTS[event][language]
    override = ((tenant.message_templates or {}).get(event) or {}).get(language) or {}
    return override.get("text", default_text), override.get("subject", default_subject)


def render(event: str, language: str, context: dict) -> tuple[str, str, list[str]]:
    """(body, subject, WhatsApp parameters) for an event."""
    from saas.security import redact_niks

    text, subject = template_for(event, language)
    values = {name: str(context.get(name, "")) for name in EVENTS[event]["fields"]}
    body = redact_niks(text.format(**values))
    # WhatsApp refuses parameters with line breaks, tabs or long runs of spaces.
    params = [" ".join(redact_niks(values[name]).split()) or "-" for name in EVENTS[event]["whatsapp"]]
    return body, redact_niks(subject.format(**values)), params
