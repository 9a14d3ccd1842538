"""A member's account as people see it: balance, entries, and months in brief."""
