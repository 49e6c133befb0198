"""The event file's building blocks: the strict model base, its value types and the located errors of its checks."""

from __future__ import annotations

import string
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field


class ConfigError(Exception):
    """A user's mistake in the event file or the command line: printed as one line, no traceback."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Yuan = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
# Times in the file fall in these years, as a feed row's must (SPEC §5): year 1 or 9999 cannot even be moved to UTC.
FIRST_YEAR, LAST_YEAR = 2000, 2100
# The longest span in minutes a rule or a flash sale may name: a year. Beyond it, date arithmetic overflows.
MAX_MINUTES = 366 * 24 * 60


def _in_years(moment: datetime) -> datetime:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"a date-time in the years {FIRST_YEAR}–{LAST_YEAR}, got {moment.isoformat()}")
    return moment


EventTime = Annotated[AwareDatetime, AfterValidator(_in_years)]


class _LocatedError(ValueError):
    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


def _check_templates(loc: tuple, templates: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    """Raise a located error unless every template has balanced braces and only plain placeholders among `allowed`."""
    for template in templates:
        try:
            fields = [(name, spec, conversion) for _text, name, spec, conversion in string.Formatter().parse(template) if name is not None]
        except ValueError as error:
            raise _LocatedError(loc, f"a template with balanced braces ({error})") from None
        for name, spec, conversion in fields:
            if name not in allowed or spec or conversion:
                raise _LocatedError(loc, f"plain placeholders among {{{'}, {'.join(allowed)}}}, got {{{name}}}")


def _unique(section: str, values: list[str], key: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise _LocatedError((section, index, key), f"unique values, {value!r} appears twice")
        seen.add(value)
