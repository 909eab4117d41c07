"""The confirmation of an optimisation, and its results.

The search compares every candidate on the same replications 0..max_reps-1, so the best of
many candidates is an optimistic estimate of its own worth (the winner's curse: it was picked
partly for its luck on those replications). The confirmation removes that bias: the ``top``
candidates and every hand-written plan run as an ordinary experiment (``sim.experiment.runner``,
its own results folder ``confirmation/`` with ``report.html``) on a *fresh* seed derived from the
scenario seed, which the selection never saw. Paired intervals against the baseline and against
the best hand-written plan within the budget are Bonferroni-adjusted over the candidates, and
the search estimate is shown beside the confirmed one so the shrinkage is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.experiment.backends import Backend
from sim.experiment.progress import Progress
from sim.experiment.runner import Runner
from sim.explore import optimise_plots
from sim.explore.candidates import build
from sim.explore.optimisation import OptimisationResult
from sim.explore.optimise_report import write_optimise_report
from sim.explore.study import Study, ranked
from sim.results import Results
from sim.rng import seed_sequence
from sim.scenario.load import validate_data

CONFIRMATION_DIR = "confirmation"


def fresh_seed(seed: int) -> int:
    """The confirmation's seed: a stream of the scenario seed the search never uses."""
    return int(seed_sequence(seed, 0, "explore.optimise.confirmation").generate_state(1)[0])


def picks(study: Study) -> list[Any]:
    """The trials to confirm: the best ``top`` (several objectives: spread along the front)."""
    best = ranked(study.study, study.objectives)
    k = study.s.top
    if len(study.objectives) == 1 or len(best) <= k:
        return best[:k]
    idx = sorted({round(i * (len(best) - 1) / (k - 1)) for i in range(k)}) if k > 1 else [0]
    return [best[i] for i in idx]


class Optimisation(OptimisationResult):
    """Results of ``incentsim optimise``
    (:class:`~sim.explore.optimisation.OptimisationResult`) with their report and figures."""

    def __str__(self) -> str:
        """What ``incentsim optimise`` prints: one sentence per confirmed plan against the baseline."""
        return "\n".join(row["sentence"] for row in self.verdict["plans"] if row.get("sentence"))

    def write(self, folder: Path) -> None:
        """The tables (:meth:`OptimisationResult.write`) and the report."""
        super().write(folder)
        if self.scenario.output.report:
            write_optimise_report(self, folder, save_plots=self.scenario.output.plots)

    def plot_front(self) -> Any:
        """Search trials and the confirmed plans with their paired intervals."""
        return optimise_plots.front_figure(self)

    def plot_importance(self) -> Any:
        """Which levers matter (Optuna's fANOVA importance)."""
        return optimise_plots.importance_figure(self)

    def plot_slices(self) -> Any:
        """The objective against each lever, one panel per lever."""
        return optimise_plots.slice_figure(self)


def confirm(
    study: Study,
    backend: Backend,
    folder: Path | None,
    *,
    resume: bool,
    progress: Progress,
    command: Sequence[str] | None,
    replicate: Any = None,
) -> Optimisation:
    """Run the best candidates and every hand-written plan on a fresh seed; the Optimisation."""
    chosen = picks(study)
    sc = study.scenario
    data = sc.model_dump(mode="json")
    data["levers"] = None
    candidates = []
    for i, t in enumerate(chosen):
        c = build(sc, dict(t.params), f"{study.levers.name}-{i + 1}")  # type: ignore[union-attr]
        assert c.scenario is not None
        data["plans"].append(c.scenario.plan(c.name).model_dump(mode="json"))
        candidates.append(c)
    exp = data["experiment"]
    exp["seed"] = fresh_seed(sc.experiment.seed)
    if study.s.confirm_reps:
        exp.update(replications=study.s.confirm_reps, max_replications=study.s.confirm_reps, precision={})
    confirm_sc = validate_data(data, "confirmation")
    out = folder / CONFIRMATION_DIR if folder is not None else None
    again = bool(resume and out is not None and (out / "config.resolved.yaml").exists())
    progress.log(
        f"confirmation: {len(candidates)} candidate(s) and {len(sc.plans)} plan(s) on fresh replications"
    )
    runner = Runner(
        confirm_sc,
        replicate=replicate,
        backend=backend,
        out=out,
        resume=again,
        force=not again,
        progress=progress,
        command=list(command or []),
    )
    results = Results.of(runner.run())
    if out is not None and confirm_sc.output.report and len(results.replications):
        from sim.report import write_report

        write_report(out, results, save_plots=confirm_sc.output.plots)
    return Optimisation(study, chosen, candidates, results)
