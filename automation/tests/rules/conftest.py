import pytest


@pytest.fixture(autouse=True)
def _rules_on(settings):
    """The rest of the suite runs with rules off (conftest.py); these tests are about them."""
    settings.OTKLIK_AUTOMATION_RULES = True
