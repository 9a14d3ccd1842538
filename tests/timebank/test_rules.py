"""The checks every amount, date and text of a time bank passes."""

import pytest

from timebank.banks.rules import MAX_DESCRIPTION_LENGTH, check_text
from timebank.errors import InvalidText


def test_text_is_stripped_and_kept_as_it_is_otherwise() -> None:
    assert check_text("  <b>Tea & cake</b>; DROP TABLE users; ", what="memo") == (
        "<b>Tea & cake</b>; DROP TABLE users;"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a\x00b", "not text"),
        ("half \ud800 a pair", "not text"),
        ("x" * (MAX_DESCRIPTION_LENGTH + 1), "at most"),
        (42, "must be text"),
        ("   ", "must not be empty"),
    ],
)
def test_text_that_a_database_cannot_store_or_a_person_read_is_refused(
    value: object, message: str
) -> None:
    with pytest.raises(InvalidText, match=message):
        check_text(value, what="memo")
