"""Numbers and dates that come from outside, bounded before they reach the database.

A query parameter like ``?unit=<40 nines>`` or a date like ``9999-12-31`` is valid Python but
overflows SQLite's 64-bit integers or ``date + timedelta``. Views read ids with :func:`int_param`
(``None`` for anything that is not a plausible id); forms use :data:`DATE_RANGE` on their date
fields and :class:`BoundedModelMultipleChoiceField` for lists of ids.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext as _

MAX_ID = 2**63 - 1
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
DATE_RANGE = [MinValueValidator(FIRST_DATE), MaxValueValidator(LAST_DATE)]


def _datetime_in_range(value: dt.datetime) -> None:
    if not FIRST_DATE <= value.date() <= LAST_DATE:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s.")
            % {"first": FIRST_DATE.year, "last": LAST_DATE.year},
            code="date_range",
        )


DATETIME_RANGE = [_datetime_in_range]


def int_param(value: object, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """The integer in ``value`` if it is one within [low, high], else None."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text or len(text) > 20 or not text.lstrip("-").isdigit():
        return None
    number = int(text)
    return number if low <= number <= high else None


class BoundedModelChoiceField(forms.ModelChoiceField):
    """An id outside the database's integer range is "not one of the choices", not a crash."""

    def to_python(self, value):  # type: ignore[no-untyped-def]
        if (
            value not in self.empty_values
            and self.to_field_name is None
            and int_param(value) is None
        ):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Ids outside the database's integer range are "not one of the choices", not a crash."""

    def _check_values(self, value):  # type: ignore[no-untyped-def]
        for pk in value or ():
            if int_param(pk) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                    params={"pk": str(pk)[:40]},
                )  # fmt: skip
        return super()._check_values(value)
