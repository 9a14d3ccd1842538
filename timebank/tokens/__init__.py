"""Personal API tokens: a program acts as its user, until the token is revoked."""
