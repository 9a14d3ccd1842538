"""Hypothesis profiles for the ledger's property tests, chosen by HYPOTHESIS_PROFILE.

- "ci" (the default): a few hundred examples, quick enough for every push.
- "long": thousands of examples, for a nightly run or before a release.

The chosen profile is applied only to the tests that ask for it, so loading this
module changes no other test's settings.
"""

import os

from hypothesis import HealthCheck, settings

PROFILE_ENV = "HYPOTHESIS_PROFILE"

settings.register_profile(
    "ci",
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=2000,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def chosen_settings() -> settings:
    """Return the profile HYPOTHESIS_PROFILE names, "ci" when it names none."""
    return settings.get_profile(os.environ.get(PROFILE_ENV, "ci"))
