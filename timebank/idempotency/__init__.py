"""Requests sent more than once take effect once: forms and API writes."""
