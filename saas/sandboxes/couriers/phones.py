"""Indonesian mobile numbers as both couriers accept them: 08…, 628… or +628…."""
from __future__ import annotations

import re

# 08 plus 8–11 digits is 10–13 digits in all; the 62 forms drop the leading 0.
MOBILE = re.compile(r"^(?:0|\+?62)8\d{8,11}$")


def is_indonesian_mobile(value: object) -> bool:
    return isinstance(value, str) and bool(MOBILE.match(value))
