"""The checks a time bank's settings impose on every amount and service date."""

from datetime import UTC, date, datetime, timedelta
from typing import Literal

from flask_babel import gettext as _
from flask_babel import lazy_gettext

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

# The texts check_text checks, each refused in sentences of its own.
TextName = Literal["description", "message", "name", "reason", "token's name"]
TEXT_TOO_LONG = {
    "description": lazy_gettext(
        "The description must be text of at most %(longest)s characters."
    ),
    "message": lazy_gettext(
        "The message must be text of at most %(longest)s characters."
    ),
    "name": lazy_gettext("The name must be text of at most %(longest)s characters."),
    "reason": lazy_gettext(
        "The reason must be text of at most %(longest)s characters."
    ),
    "token's name": lazy_gettext(
        "The token's name must be text of at most %(longest)s characters."
    ),
}
TEXT_NOT_STORABLE = {
    "description": lazy_gettext(
        "The description holds a character that is not text (a NUL or half of a "
        "surrogate pair)."
    ),
    "message": lazy_gettext(
        "The message holds a character that is not text (a NUL or half of a "
        "surrogate pair)."
    ),
    "name": lazy_gettext(
        "The name holds a character that is not text (a NUL or half of a "
        "surrogate pair)."
    ),
    "reason": lazy_gettext(
        "The reason holds a character that is not text (a NUL or half of a "
        "surrogate pair)."
    ),
    "token's name": lazy_gettext(
        "The token's name holds a character that is not text (a NUL or half of a "
        "surrogate pair)."
    ),
}
# Only the texts that are required: a message and a token's name may be empty.
TEXT_EMPTY = {
    "description": lazy_gettext("The description must not be empty."),
    "name": lazy_gettext("The name must not be empty."),
    "reason": lazy_gettext("The reason must not be empty."),
}


def today() -> date:
    """Return today's date in UTC, the calendar the service dates are checked on."""
    return datetime.now(UTC).date()


def check_minutes(bank: TimeBank, minutes: object, *, limit: int) -> int:
    """Return minutes if it is a positive multiple of the granularity within limit."""
    if not is_whole_number(minutes):
        raise InvalidMinutes(
            _("The minutes must be a whole number, not %(minutes)r.", minutes=minutes)
        )
    if minutes <= 0:
        raise InvalidMinutes(
            _("The minutes must be more than zero, not %(minutes)s.", minutes=minutes)
        )
    if minutes > limit:
        raise TooManyMinutes(
            _(
                "%(minutes)s minutes is more than the %(limit)s minutes allowed here.",
                minutes=minutes,
                limit=limit,
            )
        )
    if minutes % bank.granularity_minutes:
        raise OffGranularity(
            _(
                "%(minutes)s minutes is not a multiple of this time bank's "
                "%(granularity)s minutes.",
                minutes=minutes,
                granularity=bank.granularity_minutes,
            )
        )
    return minutes


def check_service_date(
    bank: TimeBank, service_date: object, *, on: date | None = None
) -> date:
    """Return the service date if it is not in the future nor before the window."""
    if not isinstance(service_date, date) or isinstance(service_date, datetime):
        raise InvalidServiceDate(
            _("The service date must be a date, not %(date)r.", date=service_date)
        )
    on = today() if on is None else on
    if service_date > on:
        raise FutureServiceDate(
            _(
                "The service date %(date)s is in the future.",
                date=service_date.isoformat(),
            )
        )
    earliest = on - timedelta(days=bank.backdating_days)
    if service_date < earliest:
        raise OutsideBackdatingWindow(
            _(
                "The service date %(date)s is more than %(days)s days ago; this "
                "time bank accepts entries back to %(earliest)s.",
                date=service_date.isoformat(),
                days=bank.backdating_days,
                earliest=earliest.isoformat(),
            )
        )
    return service_date


def check_text(
    value: object,
    *,
    what: TextName,
    required: bool = True,
    longest: int = MAX_DESCRIPTION_LENGTH,
) -> str:
    """Return value stripped if it is text of at most longest characters.

    what names the text in the refusals; a text not required may be empty.
    """
    if not isinstance(value, str) or len(value.strip()) > longest:
        raise InvalidText(TEXT_TOO_LONG[what] % {"longest": longest})
    if not is_storable_text(value):
        raise InvalidText(str(TEXT_NOT_STORABLE[what]))
    value = value.strip()
    if required and not value:
        raise InvalidText(str(TEXT_EMPTY[what]))
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
