"""Files at rest: encrypted, readable with the configured keys, and keys can rotate."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.files.storage import default_storage
from django.core.management import call_command

from langcert.core import crypto
from langcert.delivery.models import Attempt

pytestmark = pytest.mark.django_db


def test_rotation_moves_files_to_the_new_key(settings, enrolled):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FILE_ENCRYPTION_KEYS = [old]
    name = crypto.store_encrypted("photos/face", b"\xff\xd8\xff photo")
    Attempt.objects.create(entry=enrolled[0], face_photo=name)
    settings.FILE_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_file_keys")
    settings.FILE_ENCRYPTION_KEYS = [new]
    assert crypto.read_encrypted(name) == b"\xff\xd8\xff photo"
    settings.FILE_ENCRYPTION_KEYS = [old]
    with pytest.raises(ValueError):
        crypto.read_encrypted(name)
    with default_storage.open(name, "rb") as stored:
        assert b"photo" not in stored.read()


def test_a_big_file_is_stored_a_chunk_at_a_time_and_reads_back_whole(settings, monkeypatch):
    monkeypatch.setattr(crypto, "CHUNK_BYTES", 1000)
    plain = bytes(range(256)) * 20  # 5,120 bytes: six chunks
    name = crypto.store_encrypted_file("downloads", io.BytesIO(plain))
    with default_storage.open(name, "rb") as stored:
        sealed = stored.read()
    assert sealed.count(b"\n") == 6 and plain[:50] not in sealed
    assert [len(chunk) for chunk in crypto.read_encrypted_chunks(name)] == [1000] * 5 + [120]
    assert crypto.read_encrypted(name) == plain
    # Rotation keeps every chunk.
    old, new = list(settings.FILE_ENCRYPTION_KEYS)[0], Fernet.generate_key().decode()
    settings.FILE_ENCRYPTION_KEYS = [new, old]
    crypto.rotate(name)
    settings.FILE_ENCRYPTION_KEYS = [new]
    assert crypto.read_encrypted(name) == plain
