"""The checks every amount, date and text of a time bank passes."""

import pytest

from timebank.banks.rules import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, check_text
from timebank.errors import InvalidText


def test_text_is_stripped_and_kept_as_it_is_otherwise() -> None:
    stored = check_text("  <b>Tea & cake</b>; DROP TABLE users; ", what="description")
    assert stored == "<b>Tea & cake</b>; DROP TABLE users;"


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
        check_text(value, what="description")


def test_a_name_is_at_most_as_long_as_its_column() -> None:
    assert check_text("x" * MAX_NAME_LENGTH, what="name", longest=MAX_NAME_LENGTH)
    with pytest.raises(InvalidText, match=f"at most {MAX_NAME_LENGTH} characters"):
        check_text("x" * (MAX_NAME_LENGTH + 1), what="name", longest=MAX_NAME_LENGTH)
