"""Sensitive files (photos, ID documents, recordings) encrypted at rest.

Keys come from FILE_ENCRYPTION_KEYS (comma-separated Fernet keys): the first encrypts,
all decrypt, so a new key is put first and old files are re-encrypted with `rotate`.
Without keys (the embedded demo only) a key is derived from the secret key.
"""

import base64
import hashlib
import uuid

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

PRIVATE_PREFIX = "private/"


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
    name = f"{PRIVATE_PREFIX}{folder}/{uuid.uuid4().hex}.bin"
    return default_storage.save(name, ContentFile(encrypt(data)))


def read_encrypted(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        return decrypt(stored.read())


def delete_encrypted(name: str) -> None:
    if name:
        default_storage.delete(name)


def rotate(name: str) -> None:
    """Re-encrypt a stored file with the current first key."""
    with default_storage.open(name, "rb") as stored:
        token = _keys().rotate(stored.read())
    default_storage.delete(name)
    default_storage.save(name, ContentFile(token))
