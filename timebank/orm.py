"""The declarative base of the time-bank domain's tables.

The domain's tables share the ledger's MetaData, so that one set of Alembic
revisions covers both and foreign keys to the ledger's tables resolve.
Datetimes are stored as UTC and read back as aware UTC datetimes on both
backends, as the ledger's are.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

from ledger.clock import from_storage, to_utc
from ledger.schema import Id, metadata

__all__ = ["Base", "Id", "UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC and read back in UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        return None if value is None else to_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return from_storage(value)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {datetime: UTCDateTime}
