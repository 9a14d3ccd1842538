"""Users (logins), their memberships of time banks, and the roles they hold."""

import hashlib
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    String,
    UniqueConstraint,
    case,
    literal_column,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.orm import Base, Id


class Role(StrEnum):
    """A role held within one time bank.

    An organisation admin's role is held within one organisation; see
    ``timebank.organisations.models.OrganisationAdmin``.
    """

    MEMBER = "member"
    BROKER = "broker"
    TIME_BANK_ADMIN = "time_bank_admin"


# How pages, statements and reports name someone whose details were erased.
FORMER_MEMBER = "Former member"


class User(Base):
    """A person who logs in: their personal details live here, not in the books.

    Erased on their request, the row stays, so that their memberships and
    accounts do, but it holds nothing personal: no name, no email address
    anyone has, no password.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    erased_at: Mapped[datetime | None]
    # The language the pages are shown in: a code of timebank.languages.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    # What flask-login asks of a signed-in user.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Tell whether the user may sign in: nobody signs in as an erased user."""
        return self.erased_at is None

    @hybrid_property
    def display_name(self) -> str:
        """The name to show for this user: theirs, or "Former member" once erased.

        Every page, statement and report names people by it, in Python
        (``user.display_name``) or in a query (``select(User.display_name)``).
        """
        return self.name if self.erased_at is None else FORMER_MEMBER

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls) -> ColumnElement[str]:
        # Written into the SQL, not bound as a parameter, so that a query may
        # group by this expression: PostgreSQL tells two parameters apart.
        former = literal_column(f"'{FORMER_MEMBER}'", String)
        return case((cls.erased_at.is_(None), cls.name), else_=former)

    def get_id(self) -> str:
        """Return what a signed-in session keeps of the user.

        It changes with the password, so that a new password signs out every
        session that signed in with the old one.
        """
        seal = hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]
        return f"{self.id}:{seal}"


class Membership(Base):
    """A user within one time bank, with an account of their own and roles."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("time_bank_id", "user_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(ForeignKey("time_banks.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_accounts.id"), unique=True
    )
    joined_at: Mapped[datetime]
    role_rows: Mapped[list["MembershipRole"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> frozenset[Role]:
        """The roles this member holds in their time bank."""
        return frozenset(Role(row.role) for row in self.role_rows)

    def has_role(self, role: Role) -> bool:
        """Tell whether this member holds role."""
        return role in self.roles


class MembershipRole(Base):
    """One role held by one membership."""

    __tablename__ = "membership_roles"
    __table_args__ = (
        CheckConstraint(
            "role IN ('member', 'broker', 'time_bank_admin')", name="known_role"
        ),
    )

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
