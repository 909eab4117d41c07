"""A calibration from exports to a calibrated scenario: read and check, stage 1, stage 2, outputs.

The inputs are read and checked before anything is written, so bad input leaves no folder
behind. The output folder is locked while the calibration runs; simulated replications are
checkpointed there, so ``resume`` recomputes nothing it has (the search is deterministic: it
asks for the same points again and finds them done). Every output file is written atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sim.calibrate.calibrated import calibrated_scenario, uncertainties
from sim.calibrate.crm import Crm
from sim.calibrate.estimates import BEHAVIOUR as BEHAVIOUR_STAGE
from sim.calibrate.estimates import BRIDGED, unidentified
from sim.calibrate.fit import Fit, Settings, Stage2
from sim.calibrate.history import MIN_DEALS, load_history
from sim.calibrate.moments import MomentSpec, moments
from sim.calibrate.params import BEHAVIOUR, BRIDGES, DEFAULT_BEHAVIOUR, behaviour_param
from sim.calibrate.result import Calibration
from sim.calibrate.stage1 import StageOne, stage_one
from sim.calibrate.two_step import held_fields
from sim.experiment.backends import Backend
from sim.experiment.progress import Progress
from sim.files import LOCK_FILE, FolderLock
from sim.problems import Problem, ScenarioError
from sim.scenario.schema import Scenario

CONFIG_FILE = "calibration.json"
NOT_SEARCHED = {
    "behaviour.ae.effort_cost_kusd_per_opportunity": "not searched: a CRM shows only the leads that were "
    "pursued, so the effort of working one is not told apart from lead volume and fit",
}
OUTPUT_FILES = (
    "calibrated.yaml",
    "fit.csv",
    "estimates.csv",
    "uncertainties.yaml",
    "report.html",
    CONFIG_FILE,
)
"""What a calibration writes at the top of its folder (``force`` removes them, and checkpoints/)."""


def _fingerprint(files: Sequence[str | Path | None], *parts: Any) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(b"\0" if f is None else Path(f).read_bytes())
    h.update(json.dumps(parts, sort_keys=True, default=str).encode("utf-8"))
    return h.hexdigest()


def _open_folder(folder: Path, config: dict[str, Any], resume: bool, force: bool) -> FolderLock:
    """Lock ``folder`` and check it may be written (module docstring); returns the held lock."""
    from sim.files import atomic_write_text

    if folder.exists() and not folder.is_dir():
        raise ScenarioError(
            [Problem(str(folder), "(folder)", "expected a folder, found a file; use another --out")]
        )
    if resume and not (folder / CONFIG_FILE).exists():
        raise ScenarioError(
            [Problem(str(folder), CONFIG_FILE, "cannot resume: no calibration.json in this folder")]
        )
    lock = FolderLock(folder, source="incentsim calibrate").acquire()
    try:
        path = folder / CONFIG_FILE
        if resume:
            if json.loads(path.read_text("utf-8")).get("fingerprint") != config["fingerprint"]:
                raise ScenarioError(
                    [
                        Problem(
                            str(path),
                            "(file)",
                            "cannot resume: the inputs or settings differ from this folder's calibration",
                        )
                    ]
                )
        elif any(p.name != LOCK_FILE for p in folder.iterdir()):
            if not force:
                raise ScenarioError(
                    [
                        Problem(
                            str(folder),
                            "(folder)",
                            "folder exists and is not empty; use --resume, "
                            "another --out or --force to start over",
                        )
                    ]
                )
            shutil.rmtree(folder / "checkpoints", ignore_errors=True)
            for name in OUTPUT_FILES:
                (folder / name).unlink(missing_ok=True)
        if not resume:
            atomic_write_text(path, json.dumps(config, indent=2, sort_keys=True))
    except BaseException:
        lock.release()
        raise
    return lock


def calibrate(
    opportunities: str | Path,
    accounts: str | Path,
    scenario: Scenario,
    people: str | Path | None = None,
    *,
    out: str | Path | None = None,
    mapping: Mapping[str, str] | None = None,
    min_deals: int = MIN_DEALS,
    settings: Settings | None = None,
    behaviour: Sequence[str] | None = None,
    backend: str | Backend = "serial",
    workers: int | None = 1,
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    sources: Sequence[str] = (),
) -> Calibration:
    """Calibrate ``scenario`` (its baseline plan is the company's current plan) to the exports.

    ``behaviour`` lists the behaviour fields stage 2 searches (default:
    :data:`~sim.calibrate.params.DEFAULT_BEHAVIOUR`); ``settings`` how much it simulates;
    ``backend`` a backend name or an open :class:`~sim.experiment.backends.Backend`. With ``out``
    the folder gets the outputs (:data:`OUTPUT_FILES`) and checkpoints; ``resume`` continues an
    interrupted calibration there. Invalid input raises :class:`ScenarioError`.
    """
    from sim.experiment.backends import make_backend
    from sim.experiment.checkpoints import CheckpointStore

    settings = settings or Settings(seed=scenario.experiment.seed)
    params = [behaviour_param(p) for p in (DEFAULT_BEHAVIOUR if behaviour is None else behaviour)]
    crm = load_history(opportunities, accounts, scenario, people, mapping=mapping, min_deals=min_deals)
    plan = scenario.baseline
    one = stage_one(crm, scenario)
    spec = MomentSpec.of(crm, one.base, plan)
    observed = moments(crm, spec)
    names = sorted(observed)
    progress = progress or Progress()
    folder = Path(out) if out is not None else None
    lock = None
    if folder is not None:
        config = {
            "fingerprint": _fingerprint(
                [opportunities, accounts, people],
                one.base.model_dump(mode="json"),
                asdict(settings),
                [p.path for p in params],
                dict(mapping or {}),
                min_deals,
            ),
            "inputs": {
                "opportunities": str(opportunities),
                "accounts": str(accounts),
                "people": str(people or ""),
            },
            "settings": asdict(settings),
        }
        lock = _open_folder(folder, config, resume, force)
    try:
        store = CheckpointStore(folder) if folder is not None else None
        if store is not None:
            store.open()
        from sim.calibrate.points import Evaluator

        if isinstance(backend, Backend):  # the caller's own, already open (it serves several calibrations)
            pool: contextlib.AbstractContextManager[Backend] = contextlib.nullcontext(backend)
        else:
            pool = make_backend(backend, workers, scheduler)
        with pool as bk:
            evaluator = Evaluator(one.base, plan, spec, names, bk, store=store, progress=progress)
            progress.start(0)
            bridges = [(b, s) for b in BRIDGES for s in (spec.segments if b.per_segment else ("",))]
            start = dict(one.start) | {p.path: float(_value(one.base, p.path)) for p in params}
            held = held_fields(one.estimates)
            fit = Stage2(evaluator.evaluate, names, observed, start, bridges, params, settings, held).run()
            progress.stop()
        result = _assemble(crm, one, spec, observed, fit, scenario, sources)
        result.log.append(
            f"{evaluator.computed} replications simulated, {evaluator.loaded} loaded from checkpoints"
        )
        if folder is not None:
            from sim.calibrate.report import write_outputs

            write_outputs(result, folder)
            result.folder = folder
        return result
    finally:
        if lock is not None:
            lock.release()


def _value(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _assemble(
    crm: Crm,
    one: StageOne,
    spec: MomentSpec,
    observed: dict[str, float],
    fit: Fit,
    scenario: Scenario,
    sources: Sequence[str],
) -> Calibration:
    stage2 = {e.path: e for e in fit.estimates}
    for e in one.estimates:  # a stage-1 starting value whose statistic stage 2 could not match
        if e.stage == BRIDGED and e.path not in stage2:
            e.identified, e.note = False, "a starting value only: its statistic is not in the exports"
    estimates = [stage2.pop(e.path, e) for e in one.estimates] + list(stage2.values())
    searched = {e.path for e in fit.estimates}
    estimates += [
        unidentified(
            p.path, float(_value(one.base, p.path)), NOT_SEARCHED.get(p.path, "not searched"), BEHAVIOUR_STAGE
        )
        for p in BEHAVIOUR
        if p.path not in searched
    ]
    block = uncertainties(one.base, estimates)
    values = {k: v for k, v in fit.values.items()}
    what = ", ".join(str(s) for s in sources) or "CRM exports"
    description = (
        f"{scenario.name} calibrated by incentsim calibrate to {what} ({crm.start} to {crm.end}); "
        "see fit.csv and report.html for the fit, estimates.csv for every estimate"
    )
    data, calibrated = calibrated_scenario(
        one.base, values, f"{scenario.name}-calibrated", description, block
    )
    return Calibration(crm, one, spec, observed, fit, calibrated, data, block, estimates, log=list(fit.log))
