"""Importing and exporting the item bank as files (docs/itembank-format.md).

An import is all-or-nothing: every item of every file is checked first, and one mistake
anywhere leaves the bank unchanged while the report lists every mistake.
"""

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest

from langcert.catalog.models import Language
from langcert.core.audit import record_event
from langcert.itembank.content import SKILLS, ItemRecord, validate_item
from langcert.itembank.models import Item

FORMAT = "langcert-itembank/1"


@dataclass(frozen=True)
class ItemError:
    file: str
    code: str
    message: str


@dataclass
class BankImportReport:
    created: int = 0
    updated: int = 0
    errors: list[ItemError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_files(files: dict[str, bytes]) -> tuple[list[tuple[str, str, dict]], list[ItemError]]:
    """(file, language, raw item) for every item, and the errors of unreadable files."""
    found, errors = [], []
    for name, content in files.items():
        if not name.endswith(".json"):
            continue
        try:
            data = json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            errors.append(ItemError(name, "", f"not valid UTF-8 JSON: {error}"))
            continue
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            errors.append(ItemError(name, "", f"the file must declare \"format\": \"{FORMAT}\""))
            continue
        if not isinstance(data.get("items"), list):
            errors.append(ItemError(name, "", "the file has no list of items"))
            continue
        found += [(name, data.get("language", ""), item) for item in data["items"]]
    return found, errors


def _audio_key(file_name: str, record: ItemRecord) -> str:
    """Where an item's clip is in the import: relative to the JSON file that names it."""
    return str(Path(file_name).parent / record.content["audio"]).removeprefix("./")


def _check(files: dict[str, bytes]) -> tuple[list[tuple[ItemRecord, str]], list[ItemError]]:
    raw_items, errors = _parse_files(files)
    if not raw_items and not errors:
        errors.append(ItemError("", "", "no item files (*.json) found"))
    languages = set(Language.objects.values_list("code", flat=True))
    checked: list[tuple[ItemRecord, str]] = []
    seen: set[str] = set()
    for file_name, language, raw in raw_items:
        code = str(raw.get("code", "")) if isinstance(raw, dict) else ""
        record, problems = validate_item(raw if isinstance(raw, dict) else {})
        if language not in languages:
            problems.append(f"language “{language}” is not in the catalogue")
        elif record is not None and not record.code.startswith(language.upper() + "-"):
            problems.append(f"code {record.code} does not start with {language.upper()}-")
        if code in seen:
            problems.append("this code appears twice in the import")
        seen.add(code)
        clip_missing = record is not None and record.type == "listening" and \
            _audio_key(file_name, record) not in files
        if clip_missing:
            problems.append(f"content.audio: {record.content['audio']} is not in the import")
        errors += [ItemError(file_name, code, problem) for problem in problems]
        if record is not None and not problems:
            checked.append((record, file_name))
    known = seen | set(Item.objects.values_list("code", flat=True))
    for record, file_name in checked:
        unknown = [enemy for enemy in record.enemies if enemy not in known]
        if unknown:
            errors.append(ItemError(file_name, record.code, f"enemies: unknown item {unknown[0]}"))
    return checked, errors


def _save(record: ItemRecord, file_name: str, files: dict[str, bytes]) -> bool:
    language = Language.objects.get(code=record.code[:2].lower())
    fields: dict[str, Any] = {
        "language": language, "skill": record.skill, "type": record.type,
        "level": record.level, "time_limit": record.time_limit, "status": record.status,
        "irt_model": record.irt.model, "a": record.irt.a, "b": record.irt.b,
        "c": record.irt.c, "content": record.content,
    }
    item, created = Item.objects.update_or_create(code=record.code, defaults=fields)
    if record.type == "listening":
        key = _audio_key(file_name, record)
        if item.audio:
            old = item.audio.name
            transaction.on_commit(lambda: item.audio.storage.delete(old))
        item.audio.save(Path(key).name, ContentFile(files[key]), save=True)
    return created


def _set_enemies(records: list[ItemRecord]) -> None:
    """Enemies go both ways: a pair declared on either item binds both."""
    pairs = {frozenset((r.code, enemy)) for r in records for enemy in r.enemies}
    codes = {code for pair in pairs for code in pair} | {r.code for r in records}
    by_code = Item.objects.in_bulk(codes, field_name="code")
    for record in records:
        partners = {code for pair in pairs if record.code in pair for code in pair}
        by_code[record.code].enemies.set([by_code[c] for c in partners - {record.code}])


def bank_import(
    *, actor: Any, files: dict[str, bytes], request: HttpRequest | None = None
) -> BankImportReport:
    """Create or update every item of the files, or none of them."""
    checked, errors = _check(files)
    if errors:
        return BankImportReport(errors=errors)
    report = BankImportReport()
    with transaction.atomic():
        for record, file_name in checked:
            if _save(record, file_name, files):
                report.created += 1
            else:
                report.updated += 1
        _set_enemies([record for record, _ in checked])
        record_event(actor=actor, action="itembank.import", request=request,
                     data={"created": report.created, "updated": report.updated})
    return report


def _export_record(item: Item) -> dict[str, Any]:
    irt: dict[str, Any] = {"model": item.irt_model, "a": item.a, "b": item.b}
    if item.irt_model == Item.Model.THREE_PL:
        irt["c"] = item.c
    record = {
        "code": item.code, "skill": item.skill, "type": item.type, "level": item.level,
        "time_limit": item.time_limit, "status": item.status, "irt": irt,
        "content": item.content,
    }
    enemies = sorted(enemy.code for enemy in item.enemies.all())
    return record | ({"enemies": enemies} if enemies else {})


def bank_export(*, actor: Any, language: Language, request: HttpRequest | None = None) -> bytes:
    """A zip of the language's bank, in the import format (one JSON file per skill)."""
    items = Item.objects.filter(language=language).prefetch_related("enemies")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for skill in SKILLS:
            records = [_export_record(item) for item in items if item.skill == skill]
            if records:
                document = {"format": FORMAT, "language": language.code, "items": records}
                archive.writestr(f"{skill}.json",
                                 json.dumps(document, ensure_ascii=False, indent=2))
        for item in items:
            if item.audio:
                with item.audio.open("rb") as clip:
                    archive.writestr(item.content["audio"], clip.read())
    record_event(actor=actor, action="itembank.export", target=language, request=request)
    return buffer.getvalue()
