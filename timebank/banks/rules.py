"""The checks a time bank's settings impose on every amount and service date."""

from datetime import UTC, date, datetime, timedelta

from ledger.accounts import is_whole_number
from timebank.errors import (
    FutureServiceDate,
    InvalidMinutes,
    InvalidServiceDate,
    InvalidText,
    OffGranularity,
    OutsideBackdatingWindow,
    TooManyMinutes,
)

from .models import TimeBank

# One day's service: no single hour log or exchange is longer.
DAY_MINUTES = 24 * 60
# A gift may pass on more than a day's credits, but not an absurd amount.
GIFT_LIMIT_MINUTES = 100 * 60
MAX_DESCRIPTION_LENGTH = 500
# A person's, time bank's, organisation's, activity's or token's name.
MAX_NAME_LENGTH = 200


def today() -> date:
    """Return today's date in UTC, the calendar the service dates are checked on."""
    return datetime.now(UTC).date()


def check_minutes(bank: TimeBank, minutes: object, *, limit: int) -> int:
    """Return minutes if it is a positive multiple of the granularity within limit."""
    if not is_whole_number(minutes):
        raise InvalidMinutes(f"The minutes must be a whole number, not {minutes!r}.")
    if minutes <= 0:
        raise InvalidMinutes(f"The minutes must be more than zero, not {minutes}.")
    if minutes > limit:
        raise TooManyMinutes(
            f"{minutes} minutes is more than the {limit} minutes allowed here."
        )
    if minutes % bank.granularity_minutes:
        raise OffGranularity(
            f"{minutes} minutes is not a multiple of this time bank's "
            f"{bank.granularity_minutes} minutes."
        )
    return minutes


def check_service_date(
    bank: TimeBank, service_date: object, *, on: date | None = None
) -> date:
    """Return the service date if it is not in the future nor before the window."""
    if not isinstance(service_date, date) or isinstance(service_date, datetime):
        raise InvalidServiceDate(
            f"The service date must be a date, not {service_date!r}."
        )
    on = today() if on is None else on
    if service_date > on:
        raise FutureServiceDate(
            f"The service date {service_date.isoformat()} is in the future."
        )
    earliest = on - timedelta(days=bank.backdating_days)
    if service_date < earliest:
        raise OutsideBackdatingWindow(
            f"The service date {service_date.isoformat()} is more than "
            f"{bank.backdating_days} days ago; this time bank accepts entries "
            f"back to {earliest.isoformat()}."
        )
    return service_date


def check_text(
    value: object,
    *,
    what: str,
    required: bool = True,
    longest: int = MAX_DESCRIPTION_LENGTH,
) -> str:
    """Return value stripped if it is text of at most longest characters."""
    if not isinstance(value, str) or len(value.strip()) > longest:
        raise InvalidText(f"The {what} must be text of at most {longest} characters.")
    if not is_storable_text(value):
        raise InvalidText(
            f"The {what} holds a character that is not text (a NUL or half of a "
            "surrogate pair)."
        )
    value = value.strip()
    if required and not value:
        raise InvalidText(f"The {what} must not be empty.")
    return value


def is_storable_text(value: str) -> bool:
    """Tell whether every backend stores value: no NUL, only whole characters."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
