"""Webhooks: which receiver URLs are accepted, how a delivery is signed and sent.

Every delivery is a POST of a JSON body with these headers:

- ``X-LangCert-Event``: the event (``result.shared``, ``share.revoked``, ``result.withdrawn``);
- ``X-LangCert-Delivery``: the delivery's event id (the same on every retry: receivers use it
  to ignore a delivery they already processed);
- ``X-LangCert-Timestamp``: Unix time of this attempt;
- ``X-LangCert-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the webhook's signing
  secret, of ``<timestamp>.<body>``. Receivers recompute it, compare in constant time and
  refuse timestamps older than a few minutes (replays).

A receiver must answer 2xx within 5 seconds; redirects are not followed (they count as a
failure). Receivers must be public https URLs: private, loopback and link-local addresses
are refused when the URL is registered and again when each delivery resolves the name
(``http://127.0.0.1`` and ``localhost`` are allowed only for the demo and the tests).
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 5
LOOPBACK_NAMES = ("localhost", "localhost.")
MAX_URL_LENGTH = 500
USER_AGENT = "LangCert-Webhooks/1"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-LangCert-Signature value of `body` sent at `timestamp`."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_matches(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (documented for them; used by the tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys sorted."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


# --- Which receivers are accepted -----------------------------------------------------------
def _address_allowed(address: str, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_loopback: bool) -> None:
    """Refuse anything but a public https URL (ValidationError with a clear message)."""
    refused = ValidationError(
        _("Enter a public https:// URL for your webhook receiver (no user name or password "
          "in it, no private or local address)."), code="url")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise refused from None
    if len(url) > MAX_URL_LENGTH or not host or parts.username or parts.password:
        raise refused
    loopback = host in LOOPBACK_NAMES or _is_loopback_literal(host)
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback and allow_loopback):
        raise refused
    if loopback:
        if not allow_loopback:
            raise refused
        return
    if _is_ip_literal(host) and not _address_allowed(host, allow_loopback):
        raise refused


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback_literal(host: str) -> bool:
    return _is_ip_literal(host) and ipaddress.ip_address(host).is_loopback


def resolves_publicly(url: str, *, allow_loopback: bool) -> bool:
    """Every address the receiver's name has now is allowed (a name registered as public
    may later point inside our network)."""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(_address_allowed(a, allow_loopback) for a in addresses)


# --- Sending -------------------------------------------------------------------------------
def post(*, url: str, secret: str, event: str, event_id: str, body: bytes,
         timestamp: int) -> str:
    """One attempt. Returns "" when the receiver answered 2xx, else a short reason."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-LangCert-Event": event,
        "X-LangCert-Delivery": event_id,
        "X-LangCert-Timestamp": str(timestamp),
        "X-LangCert-Signature": sign(secret, timestamp, body),
    }
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS,
                                 allow_redirects=False)
    except requests.RequestException as error:
        return f"{type(error).__name__}"
    if 200 <= response.status_code < 300:
        return ""
    return f"HTTP {response.status_code}"
