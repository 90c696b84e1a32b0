"""The counters behind the limits on label requests and login links."""

from unittest import mock

import pytest

from portal.services import (
    MAGIC_LINK_REQUESTS_PER_EMAIL,
    QR_REQUESTS_PER_IP,
    TooManyRequests,
    magic_link_request,
    qr_request_throttle,
)
from tests.factories import EquipmentFactory

pytestmark = pytest.mark.django_db

START = 1_700_000_000.0


@pytest.fixture
def file_cache(settings, tmp_path):
    """The file cache of a default installation, whose incr() re-sets the key with the default
    5-minute timeout."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }


def test_the_label_limit_lasts_the_whole_hour(file_cache):
    # given
    unit = EquipmentFactory()
    with mock.patch("time.time", return_value=START) as clock:
        for _ in range(QR_REQUESTS_PER_IP):
            qr_request_throttle(unit=unit, ip="192.0.2.1")
        # when: ten minutes later, past the cache's default timeout
        clock.return_value = START + 10 * 60
        with pytest.raises(TooManyRequests):
            qr_request_throttle(unit=unit, ip="192.0.2.1")
        # then: a new window starts once the hour is over
        clock.return_value = START + 60 * 60
        qr_request_throttle(unit=unit, ip="192.0.2.1")


def test_the_login_link_limit_lasts_the_whole_window(file_cache, django_capture_on_commit_callbacks):
    with mock.patch("time.time", return_value=START) as clock:
        queued = [magic_link_request(email="a@alfa.test", ip="192.0.2.1") for _ in range(MAGIC_LINK_REQUESTS_PER_EMAIL)]
        clock.return_value = START + 10 * 60
        refused = magic_link_request(email="a@alfa.test", ip="192.0.2.1")
        clock.return_value = START + 15 * 60
        again = magic_link_request(email="a@alfa.test", ip="192.0.2.1")
    assert queued == [True] * MAGIC_LINK_REQUESTS_PER_EMAIL
    assert (refused, again) == (False, True)
