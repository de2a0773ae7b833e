"""Error rates and scores as the user writes them: ``3.5%`` or ``0.035``.

Rates are held as fractions everywhere inside orthotune (never percents). A bare number is a
fraction in [0, 1]; a bare number above 1 is refused with a hint to add ``%`` — ``4.2`` almost
certainly meant ``4.2%``, and silently reading it as 420 % or 4.2 % would both be guesses; so
is an error written ``1`` (100 %, every example wrong), while ``1.0`` says the fraction.
"""

from __future__ import annotations

import math

from orthotune._errors import InvalidInputError


def parse_rate(text: str | float, *, name: str = "rate") -> float:
    """Parse ``"3.5%"``, ``"0.035"`` or ``0.035`` into the fraction 0.035."""
    raw = str(text).strip()
    percent = raw.endswith("%")
    number = raw[:-1].strip() if percent else raw
    try:
        value = float(number)
    except ValueError:
        raise InvalidInputError(
            f"{name} {raw!r} is not a rate: give a fraction in [0, 1] such as 0.035 "
            "or a percent such as 3.5%"
        ) from None
    if not math.isfinite(value):
        raise InvalidInputError(
            f"{name} {raw!r} is not finite: give a fraction in [0, 1] or a percent"
        )
    if percent:  # 0.7% is 0.007, not 0.7 / 100 = 0.006999…: 15 digits, as typed
        value = float(f"{value / 100.0:.15g}")
    elif raw == "1" and "error" in name.split(" of ")[0]:  # every example wrong: not meant
        raise InvalidInputError(
            f"{name} 1 reads as an error of 100 % (a bare rate is a fraction): write 1% if you "
            "meant percent (or 1.0 if every example is wrong)"
        )
    elif value > 1.0:
        raise InvalidInputError(
            f"{name} {raw} is above 1: a bare rate is a fraction in [0, 1]; "
            f"write {raw}% if you meant percent"
        )
    if not 0.0 <= value <= 1.0:
        raise InvalidInputError(
            f"{name} {raw} is outside [0, 1] (or [0%, 100%]): give a valid rate"
        )
    return value
