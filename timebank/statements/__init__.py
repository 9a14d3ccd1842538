"""Credit statements: an account's entries over a period, as PDF or CSV."""
