"""Sensitive files (photos, ID documents, recordings) encrypted at rest.

Keys come from FILE_ENCRYPTION_KEYS (comma-separated Fernet keys): the first encrypts,
all decrypt, so a new key is put first and old files are re-encrypted with `rotate`.
Without keys (the embedded demo only) a key is derived from the secret key.

A stored file is one or more Fernet tokens, one per line: big files (data downloads) are
encrypted a chunk at a time so that memory stays flat whatever their size. Fernet tokens
are base64, so they never hold a newline; a small file is simply a single token.
"""

import base64
import hashlib
import tempfile
import uuid
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage

PRIVATE_PREFIX = "private/"
CHUNK_BYTES = 256 * 1024  # a few times this in memory while a chunk is sealed


def _keys() -> MultiFernet:
    keys = list(settings.FILE_ENCRYPTION_KEYS)
    if not keys:
        if not settings.DEBUG:
            raise ImproperlyConfigured("FILE_ENCRYPTION_KEYS must be set in production.")
        digest = hashlib.sha256(("file-encryption:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(data: bytes) -> bytes:
    return _keys().encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return _keys().decrypt(token)
    except InvalidToken as error:
        raise ValueError("file cannot be decrypted with the configured keys") from error


def store_encrypted(folder: str, data: bytes) -> str:
    """Encrypt `data` into storage under a random name; return the storage name."""
    return default_storage.save(_new_name(folder), ContentFile(encrypt(data)))


def _new_name(folder: str) -> str:
    return f"{PRIVATE_PREFIX}{folder}/{uuid.uuid4().hex}.bin"


def store_encrypted_file(folder: str, plain: BinaryIO) -> str:
    """Encrypt an open file into storage a chunk at a time; return the storage name."""
    keys = _keys()
    with tempfile.TemporaryFile() as sealed:
        while chunk := plain.read(CHUNK_BYTES):
            sealed.write(keys.encrypt(chunk) + b"\n")
        sealed.seek(0)
        return default_storage.save(_new_name(folder), File(sealed))


def read_encrypted_chunks(name: str) -> Iterator[bytes]:
    """The decrypted content of a stored file, a chunk at a time."""
    with default_storage.open(name, "rb") as stored:
        for token in stored:
            if token.strip():
                yield decrypt(token.strip())


def read_encrypted(name: str) -> bytes:
    return b"".join(read_encrypted_chunks(name))


def delete_encrypted(name: str) -> None:
    if name:
        default_storage.delete(name)


def rotate(name: str) -> None:
    """Re-encrypt a stored file with the current first key."""
    keys = _keys()
    with tempfile.TemporaryFile() as sealed:
        with default_storage.open(name, "rb") as stored:
            for token in stored:
                if token.strip():
                    sealed.write(keys.rotate(token.strip()) + b"\n")
        sealed.seek(0)
        default_storage.delete(name)
        default_storage.save(name, File(sealed))
