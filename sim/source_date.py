"""``$SOURCE_DATE_EPOCH``: a fixed build time for reproducible outputs (reproducible-builds.org's
convention), read in one place. The report's footer uses it; the command line checks it before a
command starts, because numpy (imported by scipy and numba) also parses it and would fail on a
malformed value with a bare ``ValueError``."""

from __future__ import annotations

import os

VARIABLE = "SOURCE_DATE_EPOCH"
LATEST = 253_402_300_799
"""9999-12-31T23:59:59Z, the last second a ``datetime`` can hold."""


def source_date_epoch() -> int | None:
    """Seconds since 1970-01-01 UTC from ``$SOURCE_DATE_EPOCH``, or None when unset or empty.

    Raises ValueError naming the variable when it is set to anything but whole seconds (ASCII
    digits) up to the year 9999."""
    raw = os.environ.get(VARIABLE, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > LATEST:
        raise ValueError(
            f"{VARIABLE}: expected whole seconds since 1970-01-01 UTC (at most {LATEST}), found {raw!r}"
        )
    return int(raw)
