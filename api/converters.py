"""Path converters of the API's addresses."""

from __future__ import annotations

from datetime import date


class IsoDateConverter:
    """YYYY-MM-DD as a date; an impossible date (2026-02-30) matches nothing, so it is a 404."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


class WeekdayConverter:
    """0 = Monday … 6 = Sunday."""

    regex = "[0-6]"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
