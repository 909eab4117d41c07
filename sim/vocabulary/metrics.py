"""Every metric a replication reports, written once (``metrics.yaml`` beside this module): its name,
unit, label, which direction is better, where it is defined, and its definition.

The scenario schema's precision targets (:data:`TARGETS`), the report's labels and number
formats (:func:`label`, :func:`is_ratio`, :func:`is_money`), the decision layer's directions
(:data:`HIGHER_IS_BETTER`), the key-metric tables (:data:`KEY_METRICS`, :data:`HEADLINE`) and the
tables of ``docs/metrics.md`` (:func:`docs_table`, written by ``python -m sim.vocabulary.docs``)
all derive from :data:`METRICS`. Names with a ``<segment>``, ``<source>``, ``<role>`` or ``<k>``
stand for a family (``grr_<segment>``: ``grr_smb``, ``grr_mid_market``, ``grr_enterprise``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from sim.vocabulary.names import ROLE_LABELS, ROLES, SEGMENT_LABELS, SEGMENTS, SOURCES

Unit = Literal[
    "ratio", "multiple", "usd", "usd_per_year", "count", "count_per_year", "days", "months", "score", "fit"
]
"""``ratio``: a fraction (shown as a percent, differences in percentage points); ``usd``: dollars;
``usd_per_year``: dollars per measured year; ``count``/``count_per_year``: a number of things (per
measured year); ``days``; ``months``; ``multiple``: a plain number such as dollars per dollar (CAC
per $ of new ACV, LTV / CAC); ``score``: NPS (-100..100); ``fit``: an ideal-customer-profile fit (0..1)."""
Better = Literal["higher", "lower", ""]


@dataclass(frozen=True)
class Metric:
    """One metric (or one family of metrics with a placeholder in its name)."""

    name: str
    unit: Unit
    label: str
    definition: str
    section: str
    better: Better = ""
    key: bool = False
    """In the report's plans x metrics table and forest plot."""
    headline: bool = False
    """In the terminal's comparison table."""
    target: bool = False
    """May carry a precision target (``experiment.precision``)."""


SECTIONS: tuple[str, ...] = (
    "retention",
    "movements",
    "levels",
    "deals",
    "market",
    "sdrs",
    "cost",
    "people",
    "organisation",
    "cash",
)
"""The sections of ``docs/metrics.md`` whose tables are written from here, in order."""
_FLAGS = ("key", "headline", "target")


def _load() -> tuple[Metric, ...]:
    """The metrics of ``metrics.yaml`` (beside this module), section by section."""
    text = (Path(__file__).parent / "metrics.yaml").read_text(encoding="utf-8")
    # libyaml's loader where PyYAML has it: the same data, a tenth of the time of every process's start
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    out = []
    for section in SECTIONS:
        for row in data[section]:
            flags = row.get("in", [])
            out.append(
                Metric(
                    row["name"],
                    row["unit"],
                    row["label"],
                    row["definition"],
                    section,
                    row.get("better", ""),
                    **{f: f in flags for f in _FLAGS},
                )
            )
    return tuple(out)


METRICS: tuple[Metric, ...] = _load()
"""Every metric, by section (the order of ``docs/metrics.md``)."""

_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "<segment>": SEGMENTS,
    "<source>": SOURCES,
    "<role>": ROLES,
    "<k>": tuple(str(k) for k in range(1, 11)),
}


def _expand(m: Metric) -> list[tuple[str, Metric]]:
    for ph, values in _PLACEHOLDERS.items():
        if ph in m.name:
            return [(m.name.replace(ph, v), m) for v in values]
    return [(m.name, m)]


_BY_NAME: dict[str, Metric] = {name: m for metric in METRICS for name, m in _expand(metric)}
_PATTERNS: tuple[tuple[re.Pattern[str], Metric], ...] = tuple(
    (re.compile("^" + re.escape(m.name).replace("<k>", r"\d+") + "$"), m) for m in METRICS if "<k>" in m.name
)

TARGETS: tuple[str, ...] = tuple(name for name, m in _BY_NAME.items() if m.target)
"""Metrics a precision target may name (each always present in a replication's metrics)."""
KEY_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.key)
"""The report's plans x metrics table and forest plot, in order."""
HEADLINE: tuple[str, ...] = tuple(m.name for m in METRICS if m.headline)
"""The terminal's comparison table, in order."""
HIGHER_IS_BETTER: dict[str, bool] = {name: m.better == "higher" for name, m in _BY_NAME.items() if m.better}
"""Which direction of a metric a decision prefers (the objective and the verdicts read it)."""


def info(name: str) -> Metric | None:
    """The metric (or family) ``name`` belongs to; None for a name not in the vocabulary."""
    got = _BY_NAME.get(name)
    if got is not None:
        return got
    for pattern, m in _PATTERNS:
        if pattern.match(name):
            return m
    return None


_READ: dict[str, dict[str, str]] = {"<role>": ROLE_LABELS, "<segment>": SEGMENT_LABELS}


def label(name: str) -> str:
    """How people read a metric's name (its own name when not in the vocabulary)."""
    m = info(name)
    if m is None:
        return name.replace("_", " ")
    for ph in _PLACEHOLDERS:
        if ph in m.name:
            match = re.match("^" + re.escape(m.name).replace(re.escape(ph), "(.+)") + "$", name)
            if match:
                value = match.group(1)
                return m.label.replace(ph, _READ.get(ph, {}).get(value, value.replace("_", " ")))
    return m.label


def is_ratio(name: str) -> bool:
    """A fraction: shown as a percent, its differences in percentage points."""
    m = info(name)
    return m is not None and m.unit == "ratio"


def is_money(name: str) -> bool:
    """In US dollars (a level or per measured year)."""
    m = info(name)
    return m is not None and m.unit in ("usd", "usd_per_year")


def docs_table(section: str) -> str:
    """The Markdown table of one section of ``docs/metrics.md``."""
    rows = ["| metric | unit | definition |", "|---|---|---|"]
    for m in METRICS:
        if m.section == section:
            rows.append(f"| `{m.name}` | {m.unit.replace('_', ' ')} | {m.definition} |")
    return "\n".join(rows)
