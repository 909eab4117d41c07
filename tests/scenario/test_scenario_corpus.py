"""The malformed-scenario corpus: every file in tests/corpus/ must fail validation cleanly.

Each case names the one field path the first error line must carry and a fragment of its
message. Every case runs in-process through ``sim.cli.main``; the real CLI runs in a subprocess
once for the whole corpus, and per file for a sample of cases (all of them with ``-m slow``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sim.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

LINE = re.compile(r"^error: (?P<file>.+?): (?P<path>[^:]+|line \d+, column \d+): (?P<message>.+)$")
"""``error: <file>: <path>: <message>``; a path has no ':' (line/column paths have a ',')."""

# file -> (expected field path, fragment of the message, file named in the line if not the case)
CASES: dict[str, tuple[str, str, str | None]] = {
    # YAML syntax: the path is the line and column of the problem.
    "syntax_unclosed_flow.yaml": ("line 3, column 1", "flow sequence", None),
    "syntax_bad_indent.yaml": ("line 4, column 17", "mapping values are not allowed", None),
    "syntax_tab_indent.yaml": ("line 3, column 1", "'\\t'", None),
    "syntax_unterminated_quote.yaml": ("line 3, column 1", "quoted scalar", None),
    "multiple_documents.yaml": ("line 2, column 1", "single document", None),
    "duplicate_keys.yaml": ("line 5, column 3", "duplicate key 'horizon_years'", None),
    "impossible_date.yaml": ("line 2, column 14", "day is out of range", None),
    "huge_integer.yaml": ("line 3, column 9", "as !!int: Exceeds the limit", None),
    # Tags that would build objects, and unknown tags.
    "python_object_tag.yaml": ("line 2, column 14", "!!python/object/apply:os.system is not allowed", None),
    "python_name_tag.yaml": ("line 3, column 9", "!!python/name:os.system is not allowed", None),
    "custom_tag.yaml": ("line 3, column 9", "!vault is not allowed", None),
    # The file itself.
    "empty.yaml": ("(file)", "empty", None),
    "whitespace_only.yaml": ("(file)", "empty", None),
    "comment_only.yaml": ("(file)", "empty", None),
    "binary_nul.bin": ("(file)", "binary data", None),
    "invalid_utf8.yaml": ("(file)", "UTF-8", None),
    "alias_expansion.yaml": ("(file)", "aliases", None),
    "top_level_list.yaml": ("(top level)", "found a list", None),
    "top_level_scalar.yaml": ("(top level)", "found text", None),
    # Wrong types.
    "wrong_type_text_for_number.yaml": ("company.horizon_years", "found 'five years'", None),
    "wrong_type_plans_mapping.yaml": ("plans", "valid list, found a mapping", None),
    "wrong_type_float_headcount.yaml": ("company.reps.headcount", "integer", None),
    "wrong_type_segment_list.yaml": ("company.segments.smb", "found a list", None),
    "wrong_type_bool_for_list.yaml": ("behaviour.ae.discount_options", "list, found True", None),
    "nan_value.yaml": ("behaviour.ae.win_odds_per_overcommit", "finite number", None),
    "missing_name.yaml": ("name", "required", None),
    # Unknown keys at several depths, with a suggestion.
    "unknown_key_top.yaml": ("experimnt", "did you mean 'experiment'?", None),
    "unknown_key_company.yaml": ("company.horizon_year", "did you mean 'horizon_years'?", None),
    "unknown_key_segment.yaml": (
        "company.segments.enterprise.annual_churn_rate",
        "did you mean 'annual_churn'?",
        None,
    ),
    "unknown_key_component.yaml": (
        "plans[flat].ae.components[commission].rate",
        "did you mean 'rates'?",
        None,
    ),
    "unknown_key_behaviour.yaml": (
        "behaviour.csm.save_health",
        "did you mean 'save_health_per_month'?",
        None,
    ),
    "unknown_measure.yaml": (
        "plans[flat].ae.components[commission].measure",
        "did you mean 'bookings_acv'?",
        None,
    ),
    "unknown_crediting_role.yaml": ("plans[flat].crediting.upsell.1", "found 'sales_director'", None),
    "precision_unknown_metric.yaml": ("experiment.precision.churn", "unknown metric", None),
    # Ranges: negative rates, fractions above 1, quotas <= 0.
    "negative_rate.yaml": ("plans[flat].ae.components[commission].rates.1.rate", "found -0.15", None),
    "negative_leads.yaml": ("company.segments.smb.leads_per_month", "found -10", None),
    "negative_churn.yaml": ("company.segments.smb.annual_churn", "found -0.05", None),
    "fraction_percent_churn.yaml": ("company.segments.mid_market.annual_churn", "found 9", None),
    "fraction_promise_gap.yaml": ("behaviour.ae.promise_health_gap", "found 25", None),
    "fraction_clawback_share.yaml": (
        "plans[flat].ae.components[commission].clawback.share",
        "found 1.5",
        None,
    ),
    "fiscal_month_13.yaml": ("company.fiscal_year_start_month", "found 13", None),
    "quota_zero.yaml": ("plans[flat].ae.quota.annual_amount", "greater than 0, found 0", None),
    "quota_negative.yaml": ("plans[conventional].ae.quota.annual_amount", "found -1000000", None),
    # Cross-field checks.
    "missing_baseline.yaml": ("experiment.baseline_plan", "found 'upfront'", None),
    "duplicate_plan_names.yaml": ("plans.1.name", "used twice", None),
    "lead_sources_sum.yaml": ("company.lead_sources", "sum to 1, found 1.2", None),
    "csm_split_sum.yaml": ("behaviour.csm.neutral_split", "sum to 1, found 1.5", None),
    "health_bands_inverted.yaml": ("company.customers.detractor_health", "promoter_health", None),
    "tiers_not_increasing.yaml": ("plans[flat].ae.components[commission].rates", "strictly increasing", None),
    "tiers_without_quota.yaml": ("plans[flat].ae.components[commission].rates", "need a quota", None),
    "bonus_without_curve.yaml": ("plans[flat].csm.components[retention].curve", "payout curve", None),
    "component_name_twice.yaml": ("plans[flat].ae.components.1.name", "used twice", None),
    "max_replications_lt_replications.yaml": ("experiment.max_replications", "found 10", None),
    "plans_empty.yaml": ("plans", "at least 1 item(s), found 0", None),
    # Uncertainties (docs/explore.md) and the exploration objective.
    "uncertainty_unknown_path.yaml": (
        'uncertainties."behaviour.ae.win_odds_per_dscount"',
        "did you mean 'win_odds_per_discount'?",
        None,
    ),
    "uncertainty_empty_range.yaml": (
        'uncertainties."company.segments.smb.annual_churn".high',
        "empty range",
        None,
    ),
    "uncertainty_text_field.yaml": ('uncertainties."company.name"', "expected a numeric field", None),
    "uncertainty_integer_log_uniform.yaml": ('uncertainties."company.reps.headcount"', "integer field", None),
    "uncertainty_out_of_bounds.yaml": (
        'uncertainties."company.segments.smb.annual_churn"',
        "high 16 is not",
        None,
    ),
    "uncertainty_plan_field.yaml": ('uncertainties."plans.flat.ae.base_salary_annual_usd"', "levers", None),
    "uncertainty_triangular_without_mode.yaml": (
        'uncertainties."behaviour.rationality_per_kusd".mode',
        "needs a mode",
        None,
    ),
    # Levers (docs/explore.md).
    "levers_unknown_plan.yaml": ("levers.plan", "did you mean 'flat'?", None),
    "levers_unknown_path.yaml": (
        'levers.fields."ae.components.comission.rates.0.rate"',
        "did you mean 'commission'?",
        None,
    ),
    "levers_bad_choice.yaml": ('levers.fields."ae.components.commission.pays"', "'on_bookings' is not", None),
    "levers_bad_constraint.yaml": ("levers.constraints.0", "expected 'A >= B' or 'A <= B'", None),
    "levers_range_on_choice.yaml": ('levers.fields."ae.components.commission.measure"', "use choices", None),
    # extends and based_on.
    "extends_cycle_a.yaml": ("extends", "cycle in extends", "extends_cycle_b.yaml"),
    "extends_cycle_b.yaml": ("extends", "cycle in extends", "extends_cycle_a.yaml"),
    "extends_self.yaml": ("extends", "cycle in extends: extends_self.yaml -> extends_self.yaml", None),
    "extends_missing.yaml": ("extends", "'no-such-base.yaml' not found", None),
    "extends_not_text.yaml": ("extends", "found a list", None),
    "extends_directory.yaml": ("extends", "is a directory", None),
    "based_on_unknown.yaml": ("plans[variant].based_on", "did you mean 'flat'?", None),
    "based_on_cycle.yaml": ("plans[two].based_on", "cycle in based_on", None),
}


def _case_files() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_file())


def test_table_covers_the_corpus() -> None:
    """Every corpus file has an expectation, and every expectation a file."""
    assert sorted(CASES) == _case_files()
    assert len(CASES) >= 30


def test_corpus_bases_are_valid() -> None:
    """The base the cases extend is itself valid, so each case fails for its own fault."""
    for base in sorted((CORPUS / "bases").iterdir()):
        assert main(["validate", "--quiet", str(base)]) == 0, base


def _check_output(name: str, code: int, stdout: str, stderr: str) -> None:
    expected_path, fragment, named_file = CASES[name]
    assert code == 2, f"{name}: exit {code}\n{stderr}"
    assert "Traceback" not in stdout and "Traceback" not in stderr
    assert stdout == ""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, f"{name}: no error line"
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), f"{name}: malformed error line(s):\n{stderr}"
    first = parsed[0]
    assert first is not None
    # Each case has exactly one fault, so exactly one line.
    assert len(lines) == 1, f"{name}: expected one problem, got:\n{stderr}"
    assert first["path"] == expected_path, f"{name}: {lines[0]}"
    assert fragment in first["message"], f"{name}: {lines[0]}"
    assert Path(first["file"]).name == (named_file or name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_case_in_process(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``incentsim validate FILE`` (in-process): exit 2, one well-formed line naming the field."""
    code = main(["validate", str(CORPUS / name)])
    out, err = capsys.readouterr()
    _check_output(name, code, out, err)


SUBPROCESS_SAMPLE = [
    "syntax_bad_indent.yaml",
    "python_object_tag.yaml",
    "empty.yaml",
    "binary_nul.bin",
    "invalid_utf8.yaml",
    "unknown_key_segment.yaml",
    "extends_cycle_a.yaml",
    "missing_baseline.yaml",
]
"""One case per kind runs in its own interpreter by default; ``-m slow`` runs them all."""


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("name", SUBPROCESS_SAMPLE)
def test_corpus_case_subprocess(name: str) -> None:
    """``python -m sim validate FILE`` in a fresh interpreter: exit 2, no traceback."""
    result = _run_cli("validate", str(CORPUS / name))
    _check_output(name, result.returncode, result.stdout, result.stderr)


@pytest.mark.slow
def test_every_corpus_case_subprocess() -> None:
    """All cases, each in its own interpreter (about 0.3 s each), a few at a time."""
    names = sorted(CASES)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: _run_cli("validate", str(CORPUS / n)), names))
    for name, result in zip(names, results, strict=True):
        _check_output(name, result.returncode, result.stdout, result.stderr)


def test_all_files_at_once_report_every_file() -> None:
    """One interpreter, the whole corpus: each file gets its own well-formed lines, the right
    path first; a valid file among them still says ok."""
    valid = CORPUS / "bases" / "minimal.yaml"
    names = sorted(CASES)
    result = _run_cli("validate", *(str(CORPUS / n) for n in names), str(valid))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    matches = [LINE.match(line) for line in lines]
    assert all(matches), result.stderr
    # Files are validated in order, so the lines come in the cases' order, one per case.
    got = [(Path(m["file"]).name, m["path"]) for m in matches if m is not None]
    assert got == [(CASES[n][2] or n, CASES[n][0]) for n in names]
    assert result.stdout.strip() == f"ok: {valid}: corpus-minimal (1 plans)"
