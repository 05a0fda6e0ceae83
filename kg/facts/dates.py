"""Dates as the source gives them: a year, a month or a day, with day bounds."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import NamedTuple

# The forms' message stays short; `early`/`mid`/`late` before a month are documented in
# records.yaml and the README.
ACCEPTED_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD (e.g. 1998, 2021-10, 2022-05-13)"
_FORMS = re.compile(r"^(?:(early|mid|late)\s+)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# "Early", "mid" and "late" a month narrow its days (the precision stays the month's): the
# source's "early September" is the 1st to the 10th, not a guessed day.
PART_OF_MONTH = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}


# A NamedTuple (ordered as its fields, as order=True would), not a dataclass: lookups with a
# date parse it, and making a dataclass costs about a millisecond at import.
class FuzzyDate(NamedTuple):
    """A date known to a precision of 'year', 'month' or 'day'."""

    earliest: dt.date
    latest: dt.date
    text: str  # as an XML Schema literal: YYYY, YYYY-MM or YYYY-MM-DD
    precision: str
    part: str | None = None  # early, mid or late (a month's precision, narrower days)

    @property
    def shown(self) -> str:
        """The date as the facts write it (`early 2022-09`)."""
        return f"{self.part} {self.text}" if self.part else self.text

    @property
    def xsd(self) -> str:
        """Return the XML Schema datatype local name that carries this precision."""
        return {"year": "gYear", "month": "gYearMonth", "day": "date"}[self.precision]


def parse_date(value: object) -> FuzzyDate:
    """Parse a curated date; raise ValueError naming the accepted forms.

    `early 2022-09` is September 2022 (xsd:gYearMonth "2022-09") on its 1st to 10th day;
    `mid` the 11th to 20th, `late` the 21st to the month's end. Only a month takes them.
    """
    text = str(value).strip() if isinstance(value, (str, int)) else None
    match = _FORMS.match(text) if text is not None and not isinstance(value, bool) else None
    if text is None or match is None:
        raise ValueError(f"bad date {value!r}: use {ACCEPTED_FORMS}")
    part, year, month, day = match.groups()
    if part is not None and (month is None or day is not None):
        raise ValueError(f"bad date {value!r}: '{part}' narrows a month (e.g. {part} 2022-09)")
    text = text if part is None else text.split()[-1]
    y = int(year)
    try:
        if day is not None:
            d = dt.date(y, int(month), int(day))
            return FuzzyDate(d, d, text, "day")
        if month is not None:
            m = int(month)
            last = calendar.monthrange(y, m)[1]
            first_day, last_day = PART_OF_MONTH[part] if part else (1, last)
            return FuzzyDate(
                dt.date(y, m, first_day), dt.date(y, m, min(last_day, last)), text, "month", part
            )
        if y < 1:
            raise ValueError
        return FuzzyDate(dt.date(y, 1, 1), dt.date(y, 12, 31), text, "year")
    except ValueError:
        raise ValueError(f"impossible date {text!r}: use {ACCEPTED_FORMS}") from None
