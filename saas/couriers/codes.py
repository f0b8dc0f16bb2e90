"""The codes of a delivery: a pickup code for the driver at the office, a receipt PIN for the door."""
from __future__ import annotations

import secrets

# No 0/O, 1/I/L: a code is read aloud over a counter and typed by tired hands.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_pickup_code() -> str:
    return "ANT-" + "".join(secrets.choice(ALPHABET) for _ in range(6))


def new_receipt_pin(digits: int = 6) -> str:
    return f"{secrets.randbelow(10 ** digits):0{digits}d}"


def qr_svg_data_uri(text: str, scale: int = 5) -> str:
    """The code as a QR image that the page can show without loading anything from elsewhere."""
    import segno  # loaded by the pages that draw a code, not by every worker at start

    return segno.make(text, error="m").svg_data_uri(scale=scale, border=2)


def normalise_pickup_code(text: str) -> str:
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if cleaned.startswith("ANT"):
        cleaned = cleaned[3:]
    return "ANT-" + cleaned
