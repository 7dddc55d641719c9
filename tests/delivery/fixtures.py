"""A small synthetic bank in every skill, and a candidate ready to take the test."""


import pytest
from django.core.files.base import ContentFile

from langcert.catalog.models import Language
from langcert.delivery import services
from langcert.delivery.adaptive import SECTION_ORDER
from langcert.itembank.models import Item

SKILL_CODES = {"vocabulary": "VOC", "grammar": "GRA", "expressions": "EXP", "reading": "REA",
               "listening": "LIS"}
OGG = b"OggS\x00synthetic clip"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GOOD_DEVICE = {
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/156.0.0.0 Safari/537.36",
    "camera_width": 640, "microphone_peak": 0.4, "beeps_heard": 3,
    "download_ms": 300, "round_trips_ms": [20, 25, 30, 22, 40],
}


def _content(skill: str, n: int) -> tuple[str, dict]:
    choice = {"question": f"Question {n}?", "options": ["right", "wrong", "other"],
              "answer": 0}
    if skill == "listening":
        return "listening", {"instruction": "Listen.", "audio": f"audio/{n}.ogg",
                             "transcript": "right", "max_plays": 2,
                             "question": {"type": "multiple_choice", **choice}}
    return "multiple_choice", {"instruction": "Choose.", **choice}


@pytest.fixture
def synthetic_bank(db):
    english = Language.objects.get(code="en")
    for skill in SECTION_ORDER:
        for n in range(24):
            item_type, content = _content(skill, n)
            item = Item.objects.create(
                code=f"EN-{SKILL_CODES[skill]}-{n:04d}", language=english, skill=skill,
                type=item_type, level="B1", time_limit=30, status="live", irt_model="2pl",
                a=1.0 + (n % 5) / 5, b=-2.4 + n * 0.2, content=content,
            )
            if item_type == "listening":
                item.audio.save(f"{n}.ogg", ContentFile(OGG))
    return Item.objects.all()


@pytest.fixture
def ready_attempt(enrolled, synthetic_bank):
    """Signed in, rules read, photos taken, microphone heard."""
    entry, secret = enrolled
    attempt = services.sign_in(id_number=entry.id_number, secret=secret, ip="198.51.100.1")
    services.record_tech_check(attempt=attempt, measurements=GOOD_DEVICE, beeps_played=3)
    services.accept_rules(attempt=attempt)
    services.store_photo(attempt=attempt, kind="face", data=JPEG)
    services.store_photo(attempt=attempt, kind="id", data=JPEG)
    assert services.record_microphone(attempt=attempt, peak_level=0.3, duration_ms=3000)
    attempt.refresh_from_db()
    return attempt


def answer_right(delivery):
    return "right"


