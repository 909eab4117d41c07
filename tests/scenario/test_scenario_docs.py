"""docs/scenarios.md is generated from the schema and must be current."""

from __future__ import annotations

from pathlib import Path

from sim.scenario.docs import REGENERATE, _models_in_order, main, markdown
from sim.scenario.schema import Scenario

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "scenarios.md"


def test_checked_in_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == markdown(), f"docs/scenarios.md is stale; run: {REGENERATE}"


def test_reference_names_every_model_field_and_description() -> None:
    text = markdown()
    assert REGENERATE in text.splitlines()[2]
    models = _models_in_order(Scenario)
    assert len(models) > 20
    for model in models:
        assert f"## {model.__name__}\n" in text
        for name, field in model.model_fields.items():
            row = next((line for line in text.splitlines() if line.startswith(f"| `{name}` |")), None)
            assert row is not None, f"{model.__name__}.{name} missing"
            if field.description:
                assert " ".join(field.description.split()).replace("|", "\\|") in text


def test_every_field_has_a_description() -> None:
    missing = [
        f"{model.__name__}.{name}"
        for model in _models_in_order(Scenario)
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert missing == []
    rows = [line for line in markdown().splitlines() if line.startswith("| `")]
    assert rows and not [r for r in rows if r.rstrip().endswith("|  |")]


def test_reference_shows_types_defaults_and_bounds() -> None:
    text = markdown()
    assert "| `annual_churn` | number (≥ 0.0, ≤ 1.0) | `0.1` |" in text
    assert "| `plans` | list of [PlanDesign](#plandesign) (not empty) | **required** |" in text
    assert "| `seed` | integer (≥ 0) | `20261123` |" in text


def test_check_mode_detects_a_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "scenarios.md"
    assert main([str(out)]) == 0
    assert main(["--check", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    assert main(["--check", str(out)]) == 1
