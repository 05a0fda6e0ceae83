"""Dates as the source gives them: a year, a month or a day, with day bounds."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

ACCEPTED_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD (e.g. 1998, 2021-10, 2022-05-13)"
_FORMS = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, order=True)
class FuzzyDate:
    """A date known to a precision of 'year', 'month' or 'day'."""

    earliest: dt.date
    latest: dt.date
    text: str
    precision: str

    @property
    def xsd(self) -> str:
        """Return the XML Schema datatype local name that carries this precision."""
        return {"year": "gYear", "month": "gYearMonth", "day": "date"}[self.precision]


def parse_date(value: object) -> FuzzyDate:
    """Parse a curated date; raise ValueError naming the accepted forms."""
    text = str(value).strip() if isinstance(value, (str, int)) else None
    match = _FORMS.match(text) if text is not None and not isinstance(value, bool) else None
    if text is None or match is None:
        raise ValueError(f"bad date {value!r}: use {ACCEPTED_FORMS}")
    year, month, day = match.groups()
    y = int(year)
    try:
        if day is not None:
            d = dt.date(y, int(month), int(day))
            return FuzzyDate(d, d, text, "day")
        if month is not None:
            m = int(month)
            last = calendar.monthrange(y, m)[1]
            return FuzzyDate(dt.date(y, m, 1), dt.date(y, m, last), text, "month")
        if y < 1:
            raise ValueError
        return FuzzyDate(dt.date(y, 1, 1), dt.date(y, 12, 31), text, "year")
    except ValueError:
        raise ValueError(f"impossible date {text!r}: use {ACCEPTED_FORMS}") from None
