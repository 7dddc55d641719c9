import io
import json
import zipfile

import pytest
from django.core.management import call_command

from langcert.itembank.models import Item
from langcert.itembank.services import bank_export, bank_import
from tests.itembank.samples import SAMPLES, sample

pytestmark = pytest.mark.django_db

OGG = b"OggS\x00fake-clip"


def bank_files(items, audio=True):
    files = {"items.json": json.dumps({"format": "langcert-itembank/1", "language": "en",
                                       "items": items}).encode()}
    if audio:
        files["audio/EN-LIS-0907.ogg"] = OGG
    return files


def test_a_good_import_creates_every_item_with_its_clip_and_enemies(board_user):
    items = [sample(t) for t in SAMPLES]
    items[0]["enemies"] = ["EN-VOC-0902"]
    report = bank_import(actor=board_user, files=bank_files(items))
    assert report.ok and report.created == 7
    listening = Item.objects.get(code="EN-LIS-0907")
    assert listening.audio.read() == OGG
    first = Item.objects.get(code="EN-GRA-0901")
    assert [e.code for e in first.enemies.all()] == ["EN-VOC-0902"]
    assert [e.code for e in Item.objects.get(code="EN-VOC-0902").enemies.all()] == [
        "EN-GRA-0901"]
    again = bank_import(actor=board_user, files=bank_files(items))
    assert (again.created, again.updated, Item.objects.count()) == (0, 7, 7)


def test_one_bad_item_imports_nothing_and_every_mistake_is_listed(board_user):
    bad_choice = sample("multiple_choice")
    bad_choice["content"] = bad_choice["content"] | {"answer": 9}
    duplicate = sample("gap_select")
    items = [sample("gap_select"), bad_choice, duplicate, sample("gap_text", level="Z9")]
    report = bank_import(actor=board_user, files=bank_files(items, audio=False))
    assert not report.ok
    messages = [(e.code, e.message) for e in report.errors]
    assert any(c == "EN-REA-0906" and "not the index" in m for c, m in messages)
    assert any(c == "EN-GRA-0901" and "twice" in m for c, m in messages)
    assert any(c == "EN-VOC-0902" and "level" in m for c, m in messages)
    assert not Item.objects.exists()


def test_a_missing_clip_an_unknown_enemy_and_a_wrong_format_are_refused(board_user):
    item = sample("listening")
    report = bank_import(actor=board_user, files=bank_files([item], audio=False))
    assert "not in the import" in report.errors[0].message
    enemy = sample("gap_select", enemies=["EN-GRA-9999"])
    report = bank_import(actor=board_user, files=bank_files([enemy]))
    assert "unknown item EN-GRA-9999" in report.errors[0].message
    report = bank_import(actor=board_user, files={"x.json": b'{"items": []}'})
    assert "format" in report.errors[0].message
    report = bank_import(actor=board_user, files={"x.json": b"\xff\xfe"})
    assert "JSON" in report.errors[0].message
    assert not Item.objects.exists()


def test_export_then_import_gives_the_same_bank(board_user):
    from langcert.catalog.models import Language

    items = [sample(t) for t in SAMPLES]
    items[1]["enemies"] = ["EN-REA-0906"]
    bank_import(actor=board_user, files=bank_files(items))
    before = {i.code: (i.content, i.b, i.a, i.level) for i in Item.objects.all()}
    archive = bank_export(actor=board_user, language=Language.objects.get(code="en"))
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        files = {name: zipped.read(name) for name in zipped.namelist()}
    assert "audio/EN-LIS-0907.ogg" in files and "reading.json" in files
    Item.objects.all().delete()
    report = bank_import(actor=board_user, files=files)
    assert report.ok and report.created == 7
    after = {i.code: (i.content, i.b, i.a, i.level) for i in Item.objects.all()}
    assert after == before
    assert Item.objects.get(code="EN-VOC-0902").enemies.get().code == "EN-REA-0906"


def test_the_shipped_banks_load():
    call_command("load_itembank")
    counts = {}
    for item in Item.objects.filter(status="live"):
        counts.setdefault((item.language.code, item.skill), set()).add(item.level)
        counts.setdefault((item.language.code, "count", item.skill), []).append(item.code)
    for skill in ("vocabulary", "grammar", "expressions", "reading", "listening"):
        assert len(counts[("en", "count", skill)]) >= 40
        assert counts[("en", skill)] == {"A1", "A2", "B1", "B2", "C1", "C2"}
    assert Item.objects.filter(language__code="fr").count() >= 50
    assert set(Item.objects.values_list("type", flat=True)) == set(SAMPLES)


def test_the_admin_refuses_an_invalid_item_with_its_problems(client, board_user):
    from langcert.catalog.models import Language

    client.force_login(board_user)
    client.cookies["django_language"] = "en"
    item = sample("multiple_choice")
    response = client.post("/admin/itembank/item/add/", {
        "code": item["code"], "language": Language.objects.get(code="en").pk,
        "skill": "reading", "type": "multiple_choice", "level": "C1", "time_limit": 60,
        "status": "live", "irt_model": "2pl", "a": 1.2, "b": "1.1", "c": 0,
        "exposure_k": 1, "content": json.dumps(item["content"] | {"answer": 7}),
    })
    assert response.status_code == 200
    assert "not the index of an option" in response.content.decode()
    assert not Item.objects.exists()
    good = client.post("/admin/itembank/item/add/", {
        "code": item["code"], "language": Language.objects.get(code="en").pk,
        "skill": "reading", "type": "multiple_choice", "level": "C1", "time_limit": 60,
        "status": "live", "irt_model": "2pl", "a": 1.2, "b": "1.1", "c": 0,
        "exposure_k": 1, "content": json.dumps(item["content"]),
    })
    assert good.status_code == 302 and Item.objects.get().code == item["code"]
