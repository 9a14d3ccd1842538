"""How a pending hour log, exchange or gift is decided, once, by someone else."""

from enum import StrEnum

from .errors import AlreadyDecided, MakerChecker


class Decision(StrEnum):
    """Where an hour log, exchange or gift stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def require_pending(status: str, *, what: str) -> None:
    """Refuse to decide again on something already approved or rejected."""
    if status != Decision.PENDING:
        raise AlreadyDecided(f"This {what} is already {status}.")


def require_checker(actor_id: int, *, makers: set[int | None], what: str) -> None:
    """Refuse an approver who made the entry or whom it credits (maker-checker)."""
    if actor_id in makers:
        raise MakerChecker(
            f"You cannot approve {what} that you recorded or that credits you."
        )
