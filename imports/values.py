"""Cell values to Python values, accepting what Russian and English spreadsheets contain:
"31.12.2024" or "2024-12-31", "1 234,56" or "1234.56", "да"/"нет"/"yes"/"no"/"1"/"0"."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S"]
TRUE_WORDS = {"1", "да", "yes", "true", "y", "д", "+", "истина", "вкл", "on"}
FALSE_WORDS = {"0", "нет", "no", "false", "n", "н", "-", "ложь", "выкл", "off"}


class CellError(ValueError):
    """A value that cannot be read; the message is shown to the person importing."""


def parse_date(text: str) -> date:
    value = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise CellError(_("«%(value)s» is not a date: write it as 31.12.2024 or 2024-12-31.") % {"value": value})


MAX_EXPONENT = 18


def parse_decimal(text: str, *, max_digits: int | None = None, decimal_places: int | None = None) -> Decimal:
    value = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise CellError(_("«%(value)s» is not a number.") % {"value": text}) from exc
    if not number.is_finite():
        raise CellError(_("«%(value)s» is not a number.") % {"value": text})
    # No column holds more than 18 digits; refusing "1e5000" here keeps quantize() from raising
    # and int() from building a huge integer (parse_int).
    if not number.is_zero() and not -MAX_EXPONENT <= number.adjusted() < MAX_EXPONENT:
        raise CellError(_("«%(value)s» is too large.") % {"value": text})
    if decimal_places is not None:
        quantized = number.quantize(Decimal(1).scaleb(-decimal_places))
        if quantized != number:
            raise CellError(
                _("«%(value)s» has more than %(places)s digits after the decimal point.")
                % {"value": text, "places": decimal_places}
            )
        number = quantized
    if (
        max_digits is not None
        and decimal_places is not None
        and abs(number) >= Decimal(10) ** (max_digits - decimal_places)
    ):
        raise CellError(_("«%(value)s» is too large.") % {"value": text})
    return number


def parse_int(text: str) -> int:
    number = parse_decimal(text)
    if number != number.to_integral_value():
        raise CellError(_("«%(value)s» is not a whole number.") % {"value": text})
    return int(number)


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("«%(value)s» is not yes or no: write «да» or «нет».") % {"value": text})


def format_decimal(value: Decimal | None) -> str:
    """A number as Russian Excel reads it from a CSV cell: decimal comma, no thousands separator."""
    if value is None:
        return ""
    return format(value.normalize() if value == value.to_integral_value() else value, "f").replace(".", ",")


def format_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def normalize_header(text: str) -> str:
    """Headers compared case- and spacing-insensitively, without marks like "*" for required."""
    text = text.replace("ё", "е").replace("Ё", "Е")
    text = re.sub(r"[*:()\[\]«»\"'№#.,]", " ", text.lower())
    return " ".join(text.split())
