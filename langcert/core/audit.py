"""The one way to record who did what to which object, from where.

Services call `record_event` inside their transaction, so an action and its audit row are
committed together or not at all.
"""

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.http import HttpRequest

from langcert.core.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address. Behind a proxy, the proxy sets REMOTE_ADDR (see README)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row. `actor` is a user, or None for the system (tasks, commands).

    `data` holds identifiers and facts, never personal data such as names or emails.
    """
    event = event_row(actor=actor, action=action, target=target, request=request, data=data)
    event.save(force_insert=True)
    return event


def event_row(*, actor: Any, action: str, target: models.Model | None = None,
              request: HttpRequest | None = None,
              data: dict[str, Any] | None = None) -> AuditEvent:
    """The unsaved row `record_event` writes (for `fast_insert.insert_rows`)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        actor=user,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        ip_address=client_ip(request),
        data=data or {},
    )


def record_events_on(*, actor: Any, action: str, model: type[models.Model],
                     target_ids: Sequence[Any], data: dict[str, Any] | None = None,
                     batch_size: int = 2000) -> None:
    """One audit row per target, written in batches: for actions on many objects at once
    (a download of 100,000 results must not cost 100,000 round trips, nor hold 100,000
    rows in memory)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = model._meta.label_lower
    for start in range(0, len(target_ids), batch_size):
        AuditEvent.objects.bulk_create(
            [AuditEvent(actor=user, action=action, target_type=label, target_id=str(pk),
                        data=data or {}) for pk in target_ids[start:start + batch_size]])


def events_for(target: models.Model):
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    )
