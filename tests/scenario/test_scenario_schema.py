"""``incentsim schema`` is a valid JSON Schema that accepts every shipped scenario file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from sim.scenario.load import resolve_raw

SCENARIOS = sorted((Path(__file__).resolve().parent.parent.parent / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The schema exactly as the CLI prints it."""
    out = subprocess.run(
        [sys.executable, "-m", "sim", "schema"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    parsed: dict[str, Any] = json.loads(out)
    return parsed


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema)


def test_schema_is_valid_json_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_there_are_scenarios_to_check() -> None:
    assert {p.name for p in SCENARIOS} >= {"base-company.yaml", "seed-plans.yaml"}


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_resolved_scenario_validates(path: Path, validator: Draft202012Validator) -> None:
    data = resolve_raw(path)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_file_as_written_validates(path: Path, validator: Draft202012Validator) -> None:
    """Editors see the file before resolution: ``extends`` and ``based_on`` must be accepted."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


def _resolved_base() -> dict[str, Any]:
    return resolve_raw(SCENARIOS[0].parent / "base-company.yaml")


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ((), "plan"),
        (("company",), "horizon_year"),
        (("company", "segments", "smb"), "annual_churn_rate"),
        (("plans", 0, "ae"), "quota_usd"),
    ],
)
def test_schema_rejects_unknown_keys(
    validator: Draft202012Validator, where: tuple[Any, ...], key: str
) -> None:
    data = _resolved_base()
    node: Any = data
    for part in where:
        node = node[part]
    node[key] = 1
    errors = list(validator.iter_errors(data))
    assert errors, f"unknown key {key!r} at {where} was accepted"
    assert any(key in e.message for e in errors)


def test_schema_rejects_out_of_range_and_missing_required(validator: Draft202012Validator) -> None:
    data = _resolved_base()
    data["company"]["segments"]["smb"]["annual_churn"] = 9
    assert not validator.is_valid(data)
    data = _resolved_base()
    del data["plans"]
    assert not validator.is_valid(data), "a file without extends needs plans"
    data["extends"] = "base-company.yaml"
    assert validator.is_valid(data), "a file with extends gets its plans from the base"


def test_schema_documents_fields(schema: dict[str, Any]) -> None:
    """Field docstrings reach the schema, so editors show them."""
    segment = schema["$defs"]["Segment"]["properties"]
    assert "churns" in segment["annual_churn"]["description"]
