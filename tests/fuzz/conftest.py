"""Hypothesis settings for the fuzz suite: bounded and reproducible in CI, as long as you like locally.

VOC_FUZZ_EXAMPLES (default 100) is the number of examples per property; derandomize makes every run of the same
tests try the same examples (Hypothesis also draws on constants in the code it has loaded, so a subset may differ),
so a CI failure reproduces on any machine, and database=None keeps no example store around.
"""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import core as hypothesis_core
from hypothesis.vendor import pretty

from config.env import envint

# schemathesis, once its pytest plugin is loaded, swaps Hypothesis's printer for one that prints nothing (it saves
# time on big schemas), so a failing property would not show its example. Put the real printer back.
hypothesis_core.RepresentationPrinter = pretty.RepresentationPrinter

EXAMPLES = envint("VOC_FUZZ_EXAMPLES", 100)

settings.register_profile(
    "voc-fuzz",
    max_examples=EXAMPLES,
    deadline=None,  # another test run may share the CI machine; time is measured in bench/, not here
    derandomize=True,
    database=None,
    # Huge texts are part of the point. The database-backed properties share one test transaction across
    # examples on purpose: every example must leave the data fit for the next one.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
settings.load_profile("voc-fuzz")

SECRET = "fuzz-signing-secret"
SECRET_ENV = "VOC_FUZZ_WEBHOOK_SECRET"


@pytest.fixture(autouse=True, scope="session")
def signing_secret():
    """The webhook sources under test name this variable as their signing secret."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, SECRET)
        yield SECRET
