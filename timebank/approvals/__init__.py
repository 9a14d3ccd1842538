"""The broker's queue: pending hour logs, exchanges and gifts, decided together."""
