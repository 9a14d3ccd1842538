"""Showing amounts of whole minutes as hours and minutes, as people read them."""


def format_minutes(minutes: int) -> str:
    """Return minutes as hours and minutes: 135 is "2 h 15 min", -60 is "−1 h"."""
    sign = "−" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours} h {rest} min"
    if hours:
        return f"{sign}{hours} h"
    return f"{sign}{rest} min"
