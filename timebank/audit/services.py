"""Recording and reading the audit trail."""

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEvent


def record_event(
    session: Session,
    *,
    time_bank_id: int,
    actor_id: int,
    action: str,
    subject_type: str,
    subject_id: int,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Record who did what to which subject, when, and why."""
    event = AuditEvent(
        time_bank_id=time_bank_id,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        reason=reason,
        details=json.dumps(dict(details or {}), sort_keys=True, default=str),
        at=datetime.now(UTC),
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session,
    *,
    time_bank_id: int,
    subject_type: str | None = None,
    subject_id: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEvent]:
    """Return a time bank's audit events, newest first."""
    query = select(AuditEvent).where(AuditEvent.time_bank_id == time_bank_id)
    if subject_type is not None:
        query = query.where(AuditEvent.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AuditEvent.subject_id == subject_id)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return session.scalars(query).all()
