"""Strict parsing of what comes in a path: plain ASCII, no lenient number or Unicode forms.

pydantic's lax mode reads `1_0` as 10 and `+1`, `01`, ` 1` as 1; a path segment that is not
exactly the canonical text of an id is a different resource, so it is refused (400).
"""

from __future__ import annotations

import re

from pydantic import BeforeValidator

_DIGITS = re.compile(r"0|[1-9][0-9]*")  # canonical: no sign, no leading zeros, no `_`


def _canonical_digits(value: object) -> object:
    if isinstance(value, str) and not (value.isascii() and _DIGITS.fullmatch(value)):
        raise ValueError("must be a whole number written with the digits 0-9 only")
    return value


# Put after the parameter's own constraints, in the same Annotated: before them (or nested) it
# makes FastAPI write `ge`/`le` instead of `minimum`/`maximum` into the OpenAPI schema.
# `Annotated[int, Path(ge=1), CANONICAL_DIGITS]`
CANONICAL_DIGITS = BeforeValidator(_canonical_digits)
