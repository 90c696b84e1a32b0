import pytest

from automation.models import Rule
from automation.rules.engine import rules_reset


@pytest.fixture(autouse=True)
def _rules_on(settings):
    """The rest of the suite runs with rules off (conftest.py); these tests are about them."""
    settings.OTKLIK_AUTOMATION_RULES = True


@pytest.fixture
def no_shipped_rules(db):
    """Switch off the rules the migrations ship, so a test sees only its own rules."""
    Rule.objects.exclude(code="").update(is_active=False)
    rules_reset()
