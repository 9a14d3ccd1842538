"""Issued statements, kept so that a printed copy can be checked, and print runs."""

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timebank.orm import Base, Id


class IssuedStatement(Base):
    """A statement as it was issued: whose, which period, when, and its checksum.

    Its contents are not kept: they are read again from the append-only books
    as they stood at issued_at, and must give the same checksum.
    """

    __tablename__ = "issued_statements"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(ForeignKey("time_banks.id"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_accounts.id"), index=True
    )
    first_day: Mapped[date]
    last_day: Mapped[date]
    issued_at: Mapped[datetime]
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checksum: Mapped[str] = mapped_column(String(64))


class PrintRun(Base):
    """Every member's statement of a time bank or an organisation, printed as one file.

    status is queued, running, done or failed; done_count of statement_count
    statements are printed so far.
    """

    __tablename__ = "statement_print_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(ForeignKey("time_banks.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    first_day: Mapped[date]
    last_day: Mapped[date]
    file_format: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))
    statement_count: Mapped[int] = mapped_column(Integer)
    done_count: Mapped[int] = mapped_column(Integer)
    file_bytes: Mapped[int | None] = mapped_column(BigInteger)
    failure: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
