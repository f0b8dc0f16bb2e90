"""Made-up drivers who look real on a screen: Indonesian names, 08… phones, regional plates."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

NAMES = (
    "Budi Santoso", "Agus Setiawan", "Rizky Pratama", "Dedi Kurniawan", "Eko Prasetyo",
    "Hendra Wijaya", "Slamet Riyadi", "Andi Saputra", "Yusuf Hidayat", "Fajar Nugroho",
    "Muhammad Rizal", "Wahyu Ramadhan", "Arif Rahman", "Joko Susilo", "Bambang Irawan",
    "Teguh Wibowo", "Ahmad Fauzi", "Dewi Lestari", "Siti Aminah", "Rina Marlina",
    "Syahrul Gunawan", "Irfan Hakim", "Putra Mahendra", "Ilham Maulana",
)
MOTORBIKES = ("Honda Vario 125", "Honda Beat", "Yamaha NMAX", "Yamaha Aerox", "Honda Scoopy", "Suzuki Nex II")
# Plate region codes with a rough centre, so a driver near Balikpapan rides a KT plate.
PLATE_REGIONS = (
    ("KT", -0.50, 117.15),  # Kalimantan Timur
    ("DD", -5.14, 119.42),  # Makassar
    ("L", -7.26, 112.75),  # Surabaya
    ("B", -6.29, 106.72),  # Jakarta, Tangerang Selatan
    ("D", -6.91, 107.61),  # Bandung
    ("AB", -7.80, 110.37),  # Yogyakarta
)
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass(frozen=True)
class Driver:
    id: int
    name: str
    phone: str
    plate: str
    motorbike: str
    rating: float
    photo_url: str


def plate_region(lat: float, lng: float) -> str:
    return min(PLATE_REGIONS, key=lambda r: (r[1] - lat) ** 2 + (r[2] - lng) ** 2)[0]


def hire(near: tuple[float, float], photos_url: str, rng: random.Random | None = None) -> Driver:
    """A driver around ``near``; ``photos_url`` is where the sandbox serves driver photos."""
    rng = rng or random.SystemRandom()
    name = rng.choice(NAMES)
    phone = "08" + rng.choice("1235789") + "".join(rng.choices("0123456789", k=rng.randint(8, 9)))
    plate = f"{plate_region(*near)} {rng.randint(1000, 9999)} {''.join(rng.choices(LETTERS, k=2))}"
    slug = re.sub(r"[^a-z]+", "-", name.lower()).strip("-")
    return Driver(id=rng.randint(100_000, 9_999_999), name=name, phone=phone, plate=plate,
                  motorbike=rng.choice(MOTORBIKES), rating=round(rng.uniform(4.6, 5.0), 1),
                  photo_url=f"{photos_url}/{slug}-{rng.randint(100, 999)}.svg")
