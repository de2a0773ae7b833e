"""``orthotune tune --strategy grid|random|tpe|evolution|hyperband|pbt``: a search on Optuna.

data → split → prepared parts → run folder → study (SQLite in the run folder by default) →
loop { the strategy asks a batch of trials → ``params_to_candidate`` → ``train_candidates``
(intermediate dev values reported per epoch, so pruners prune) → tell each result with its
metrics, errors, diagnosis, parameter count and latency } → the satisficing best → its test
metrics (the only time test is touched) → diagnosis.json and run.json. The job returns; its
caller (``orthotune.tune``, the CLI) renders report.html from the run folder.

Resume: re-running the same command on the same ``--out`` with the same ``--study`` continues
the study. Finished trials are kept and never re-run (``--trials N`` counts them), trials left
RUNNING by a killed process are failed as stale (a live worker's are not touched), and the run
folder is reopened instead of refused. Without ``--study`` an existing run folder is refused.

A server study (``--storage postgresql://…``) is shared by workers on many machines: each
writes ``--out/workers/<host>-<pid>/``, keeps the checkpoint of every COMPLETE trial it told
(``models/trial-N``: trial numbers are unique in the study, so no two workers write one
folder), and gets no report of its own (``orthotune report --study`` builds the study's).
A worker joins only with the study's data, split and space (``join_study``).

Only incumbents (each trial that was the best feasible one when it finished) keep a
checkpoint, ``models/trial-N``: it is saved before its trial is told COMPLETE, so a told
incumbent always has one; at the end the chosen trial's checkpoint (re-trained from its
parameters and seed if it is missing) becomes ``models/best``. ``keep`` bounds them
(``RunDir.prune_models``): the chosen one and the newest ``keep − 1`` incumbents.

Ctrl-C fails the trials in flight ("interrupted by the user"), and the job finishes as usual
with the best trial so far (``StopReason.INTERRUPTED``); the same command with ``--study``
resumes.
"""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from orthotune._clock import job_started
from orthotune._errors import InvalidInputError
from orthotune._interrupt import check as check_interrupt
from orthotune._interrupt import clear as clear_interrupt
from orthotune._result import Result
from orthotune._rundir import WORKERS_DIR
from orthotune.diagnose import Diagnosis
from orthotune.search._best import CHECKPOINT_ATTR, METRICS_ATTR, Leaderboard, TrialRow
from orthotune.search._pruning import KnownCompletePruner
from orthotune.search._storage import FAIL_REASON_ATTR, STALE_ATTR, sqlite_file

INTERRUPTED_REASON = "interrupted by the user"  # a Ctrl-C's trials: failed, not counted

if TYPE_CHECKING:
    import optuna

    from orthotune.data import PreparedData
    from orthotune.fit import EpochHook, Trained

__all__ = ["MAX_SAME_FAILURES", "SearchSummary", "accepted_metrics", "tune_search"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MAX_SAME_FAILURES = 5  # identical failures in a row that stop the search
BATCH = {"population": 8, "sequential": 1}
FEASIBLE_ATTR = "feasible"  # read by the report's progress figure
SEED_ATTR = "seed"
PBT_ATTR = "pbt_exploits"  # [{"epoch", "from", "values"}] of a PBT member
TRUNCATED_ATTR = "truncated"  # why the budget cut a trial short (it is then PRUNED)
# a new study's start gets at most this share of a time budget: the epochs that fit, as a whole
# schedule, where its own would not (``_fitted_start``), as the autopilot's default first model
# (``autopilot._fitted.BASELINE_SHARE``, a third there, so that a variant of the same cost fits
# after it; a search's later trials are sampled, most of them cheaper than the start). The
# development group's starts fit it at 300 s and at
# the suite's 60 s (estimated at split seed 0, AVX-512 EPYC, 1 thread: MNIST-1D's CNN 6.7 s,
# digits' 5.5 s, synthetic_large's MLP 4.7 s, the other tables under 1 s); ``bench/suite.py``'s
# Optuna peer gets its start fitted the same way (``bench/_common.run_optuna``)
START_SHARE = 0.5


class SearchSummary(Result):
    """What ``orthotune tune --strategy …`` hands back (``--json`` prints it)."""

    schema_version: int = SCHEMA_VERSION
    run_dir: str
    data: str
    strategy: str
    executor: str
    study_name: str
    storage: str
    metric: str
    maximize: bool
    constraints: list[str] = Field(default_factory=list)
    resumed: bool = False
    stale_failed: list[int] = Field(default_factory=list, description="trials failed as stale")
    trials_this_run: int = 0
    stop_reason: str
    stop_message: str
    best_trial: int | None = None
    chosen: str | None = None
    chosen_model_dir: str | None = None
    best_value: float | None = None
    errors: dict[str, float] = Field(default_factory=dict)
    test_metrics: dict[str, float] = Field(default_factory=dict)
    diagnosis: Diagnosis | None = None
    leaderboard: Leaderboard
    seconds: float
    temperature: float = 1.0  # the chosen checkpoint's softmax temperature (temperature scaling)
    ece_before: float | None = None  # dev ECE without it
    ece_after: float | None = None  # dev ECE with it, out of fold (cross-fitted)
    calibration: str | None = None  # what temperature scaling did, in words
    report: str | None = None
    filled: list[str] = Field(default_factory=list)  # what --impute filled, per column
    notes: list[str] = Field(default_factory=list)
    parameters: int | None = None  # the chosen model's, as the autopilot and train report them
    latency_ms: float | None = None  # per example, batch of 1, median
    # why no model was chosen, and the fix (empty when one was): the CLI's error line, exit 2
    no_model: str = ""


# ------------------------------------------------------------------------------ metrics
_PARTS = {"train": "train", "train_dev": "train-dev", "dev": "dev"}


def accepted_metrics(has_train_dev: bool) -> list[str]:
    """Names ``--metric`` accepts (scores of the parts a search may see; never test)."""
    parts = [p for p in _PARTS if p != "train_dev" or has_train_dev]
    return [f"{p}_{k}" for p in parts for k in ("accuracy", "error")]


def constraint_metrics(has_train_dev: bool) -> list[str]:
    """Names a ``--constraint`` may test."""
    return [*accepted_metrics(has_train_dev), "latency_ms", "params", "seconds"]


def resolve_metric(metric: str, has_train_dev: bool = True) -> str:
    """``--metric`` as the search names it (``accuracy``, ``dev-accuracy`` → ``dev_accuracy``),
    or one line naming what is accepted."""
    from orthotune.select import canonical_name

    name = canonical_name(metric).replace("-", "_")
    name = {"accuracy": "dev_accuracy", "error": "dev_error"}.get(name, name)
    accepted = accepted_metrics(has_train_dev)
    if name not in accepted:
        raise InvalidInputError(
            f"--metric {metric!r} is unknown: accepted are {', '.join(accepted)}; fix: pick one "
            "of them (the test set is never searched on)"
        )
    return name


class _Satisficing:
    """A parsed ``--constraint`` as the predicate ``best_trial`` wants."""

    def __init__(self, constraint: Any) -> None:
        self.c = constraint

    def __call__(self, metrics: Mapping[str, float]) -> bool:
        return self.c.satisfied_by(metrics.get(self.c.metric))

    def __str__(self) -> str:
        return str(self.c)


def _parse_constraints(texts: list[str], has_train_dev: bool) -> list[_Satisficing]:
    from orthotune.select import parse_constraint

    out = []
    names = constraint_metrics(has_train_dev)
    examples = "latency_ms<100, params<1e6, dev_accuracy>=0.9 or dev_error<=3.5%"
    for text in texts:
        c = parse_constraint(text, examples=examples)
        if c.metric not in names:
            raise InvalidInputError(
                f"--constraint {text!r} tests {c.metric!r}: accepted are {', '.join(names)}; "
                "fix: constrain one of them, e.g. latency_ms<100"
            )
        rate = c.metric.endswith(("_error", "_accuracy"))  # in [0, 1]; the others above 0
        t = c.threshold
        never = {
            "<": t <= 0,
            "<=": t < 0 if rate else t <= 0,
            ">": rate and t >= 1,
            ">=": rate and t > 1,
        }[c.op]
        if never:
            raise InvalidInputError(
                f"--constraint {text!r} can never hold: {c.metric} is "
                f"{'a rate in [0, 1]' if rate else 'above 0 for every model'}; fix: give a "
                "bound a model can meet, e.g. latency_ms<100"
            )
        out.append(_Satisficing(c))
    return out


def _trial_metrics(trained: Trained, latency_ms: float | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for part, err in trained.errors.items():
        key = part.replace("-", "_")
        out[f"{key}_error"] = err
        out[f"{key}_accuracy"] = 1.0 - err
    if trained.model is not None:
        out["params"] = float(sum(p.numel() for p in trained.model.parameters()))
    if latency_ms is not None:
        out["latency_ms"] = latency_ms
    out["seconds"] = trained.seconds
    return out


def _failure_kind(reason: str) -> str:
    """A failure reason with its numbers blanked, so 'the same failure' can be counted."""
    return re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "#", reason)[:200]


# ------------------------------------------------------------------------------ run folder
def _opens_early(storage: str | None, out: str | Path) -> bool:
    """Whether ``storage`` can be opened before the run folder ``out`` is made: any URL but a
    SQLite file inside that folder."""
    if storage is None:
        return False
    file = sqlite_file(storage)
    return file is None or not file.resolve().is_relative_to(Path(out).expanduser().resolve())


def _resumable(
    out: str | Path, *, study_name: str | None, data_spec: str, storage: str | None
) -> Any:
    """The run folder to resume (``--study`` given and ``out`` holds that search), None for a
    new one; a folder that holds something else, or this search with other data or another
    storage, is refused before anything is written."""
    from orthotune._rundir import RunDir
    from orthotune.search._storage import redact

    folder = Path(out)
    if not ((folder / "run.json").is_file() and study_name is not None):
        return None
    run = RunDir.open(folder)
    record = run.read_run()
    earlier = record.config.get("study")
    if record.command == "tune" and record.config.get("strategy") == "autopilot":
        raise InvalidInputError(  # (its study is named for the autopilot's trials)
            f"--out {folder} holds an autopilot run, which no search resumes: accepted is "
            "a search's own run folder; fix: give a new --out folder"
        )
    if record.command != "tune" or earlier != study_name:
        raise InvalidInputError(
            f"--out {folder} holds another run (study {earlier!r}), not --study "
            f"{study_name!r}: accepted is the same --study to resume it; fix: give that "
            "--study or a new --out folder"
        )
    if record.data != data_spec and not _same_file(record.data_sha256, data_spec):
        raise InvalidInputError(
            f"--out {folder} searched {record.data!r}, not {data_spec!r}: accepted is the "
            "same data to resume; fix: give the same DATA or a new --out folder"
        )
    recorded = record.config.get("storage")
    given = None if storage is None or _in_folder(storage, run.study_db) else redact(storage)
    if given != recorded:  # another database: a new study whose trials would overwrite models
        raise InvalidInputError(
            f"--out {folder} searched in {recorded or 'its own study.db'}, not "
            f"{given or 'its own study.db'}: accepted is the same --storage to resume; fix: "
            f"{'give --storage ' + recorded if recorded else 'leave --storage out'}, or give a "
            "new --out folder"
        )
    if storage is None and not run.study_db.is_file():  # the trials a resume goes on from
        raise InvalidInputError(  # are gone: a new study would write over their models
            f"--out {folder} holds a search whose study.db is gone: it cannot resume "
            "(its trials are lost, and new ones would write over their models); fix: "
            "restore study.db, or give a new --out folder"
        )
    run.hold()  # a resume writes into this folder until it ends: moved meanwhile, it stops
    return run


def _same_file(recorded_sha256: str, data_spec: str) -> bool:
    """Whether DATA, written another way (``./d.csv``, its absolute path, from another
    folder), holds the bytes the run recorded."""
    from orthotune._records import data_sha256

    return bool(recorded_sha256) and data_sha256(data_spec) == recorded_sha256


def _in_folder(storage: str, study_db: Path) -> bool:
    """Whether ``storage`` is the SQLite URL of the run folder's own ``study.db``."""
    file = sqlite_file(storage)
    return file is not None and file.resolve() == study_db.resolve()


def _check_metric(study: Any, metric: str) -> None:
    """A study holds one metric's values: joining it with another (of the same direction, or
    its direction check would refuse) would rank dev accuracies beside train accuracies."""
    names = study.metric_names
    if names and names[0] != metric:
        raise InvalidInputError(
            f"--study {study.study_name!r} optimizes {names[0]}, not --metric {metric}: "
            f"accepted is the study's own metric; fix: --metric {names[0]}, or a new --study"
        )


# ------------------------------------------------------------------------------ the job
def tune_search(
    data_spec: str,
    *,
    load_options: Any = None,
    split_policy: Any = None,
    out: str | Path,
    strategy: str,
    executor: str = "population",
    budget_s: float | None = None,
    trials: int | None = None,
    metric: str = "dev_accuracy",
    constraints: list[str] | None = None,
    goal: float | None = None,
    human_error: float | None = None,
    bayes_error: float | None = None,
    study_name: str | None = None,
    storage: str | None = None,
    seed: int = 0,
    device: str = "auto",
    precision: str = "auto",
    progress: bool | Callable[[TrialRow], None] | None = None,
    space: Any = None,
    on_epoch: EpochHook | None = None,
    keep: int | None = None,
) -> SearchSummary:
    """Search ``space`` (default: ``default_space`` for the data's shape) with ``strategy`` and
    leave everything in the run folder ``out``; see the module doc for resume and ``keep``.
    ``progress`` sees each finished trial's row (a resume first the study's best so far, its
    ``earlier`` set), ``on_epoch`` every epoch (live progress)."""
    import optuna

    from orthotune._rundir import RunDir, check_keep
    from orthotune.data import check_dev_part, make_split, prepare, warn_without_test
    from orthotune.fit import EXECUTORS
    from orthotune.pipeline import Job, check_levels, load
    from orthotune.search._best import best_trial, leaderboard
    from orthotune.search._budget import Budget, Stop, StopReason
    from orthotune.search._candidate import (
        check_values,
        check_vocabulary,
        default_space,
        load_space,
    )
    from orthotune.search._space import SearchSpace
    from orthotune.search._start import starting_point
    from orthotune.search._storage import (
        Heartbeat,
        Owner,
        fail_own_orphans,
        fail_stale_trials,
        is_server_url,
        join_study,
        open_storage,
        open_study,
        redact,
        study_fingerprint,
    )
    from orthotune.search._strategies import make_strategy
    from orthotune.select import Direction, direction_of
    from orthotune.train import check_precision

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = job_started()  # the command's start under the CLI (orthotune._clock)
    if executor not in EXECUTORS:
        raise InvalidInputError(
            f"--executor {executor!r} is unknown: accepted are {', '.join(EXECUTORS)}; fix: "
            "pick one of them"
        )
    strat = make_strategy(strategy, seed=seed)  # refuses an unknown name before any work
    if study_name is not None and (not study_name.strip() or len(study_name) > 512):
        # "" became the strategy's name, then blocked its own resume; 513+ failed on PostgreSQL
        raise InvalidInputError(
            f"--study {study_name[:40]!r}{'…' if len(study_name) > 40 else ''} "
            f"({len(study_name)} characters): accepted is a name of 1 to 512 characters, not "
            "only spaces (Optuna's limit on every storage); fix: give a shorter name"
        )
    check_precision(precision)
    if strategy == "pbt" and executor != "population":
        raise InvalidInputError(
            f"--strategy pbt with --executor {executor}: PBT exploits and explores among "
            "members trained together; fix: use --executor population"
        )
    budget = Budget(seconds=budget_s, trials=trials, goal=goal)
    check_keep(keep)
    if isinstance(space, str | Path):
        space = load_space(str(space))
    elif isinstance(space, SearchSpace):
        space = check_vocabulary(space)

    ds, data_spec = load(data_spec, load_options)
    human, bayes = check_levels(ds, human_error, bayes_error)  # a built-in's own too
    split = make_split(ds, seed=seed, policy=split_policy)
    check_dev_part(split, ds.name, "tune chooses every model on dev")
    warn_without_test(split, ds.name)
    data = prepare(ds, split)
    has_td = data.train_dev is not None
    metric = resolve_metric(metric, has_td)
    maximize = direction_of(metric) == Direction.MAXIMIZE
    budget.maximize = maximize
    satisficing = _parse_constraints(list(constraints or ()), has_td)
    if space is None:
        space = default_space(tuple(ds.x.shape[1:]), ds.num_classes)
    else:
        check_values(space, input_shape=tuple(ds.x.shape[1:]), num_classes=ds.num_classes)
    strat.start = starting_point(
        tuple(ds.x.shape[1:]),
        ds.num_classes,
        architectures=tuple(getattr(space["architecture"], "choices", ()))
        if "architecture" in space
        else (),
    )
    name = study_name or strategy
    shared = is_server_url(storage)
    if shared and keep is not None:
        raise InvalidInputError(  # it was ignored without a word
            f"--keep {keep} with a shared --storage: each worker keeps every incumbent it saved "
            "(the study's best, which any worker may load, is one of them); fix: drop --keep"
        )
    if shared:  # many workers, one --out: each its own folder and its own stream of samples
        out = (Path(out) / WORKERS_DIR / Owner.me().folder).resolve()  # recorded in the study
        if strat.seed is not None:  # (workers with one --seed must not sample the same points)
            strat.seed = zlib.crc32(f"{strat.seed}/{Owner.me().folder}".encode())

    # the storage and the study are opened and checked before the run folder is made, so that
    # a refusal (a bad URL or driver, another study's fingerprint, metric or storage, a foreign
    # study) leaves no folder behind to block the retry — but a SQLite file in the run folder itself
    # (sqlite:///OUT/study.db, the default), which only exists once the folder is made
    store = open_storage(storage) if _opens_early(storage, out) else None
    resuming = _resumable(out, study_name=study_name, data_spec=data_spec, storage=storage)
    if resuming is not None and resuming.path.parent.name != WORKERS_DIR:
        # held until it ends: two resumes at once both ran in one folder, and run.json kept
        # one of their resumes (workers of a shared study have folders of their own)
        resuming.claim()
    if store is None and resuming is not None:
        store = open_storage(storage, run_dir=resuming.path)
    config = {
        "strategy": strategy,
        "executor": executor,
        "budget_s": budget_s,
        "trials": trials,
        "metric": metric,
        "constraints": [str(c) for c in satisficing],
        "goal": goal,
        "human_error": human,
        "bayes_error": bayes,
        "study": name,
        "storage": storage and redact(storage),
        "precision": precision,
        "space": space.to_dict(),
    }
    fingerprint = study_fingerprint(
        data=(ds.x.numpy().tobytes(), ds.y.numpy().tobytes()),
        split=split.to_json(ds),
        space=space.to_dict(),
    )

    def joined(store: Any) -> tuple[optuna.Study, Any]:
        study = open_study(
            store,
            study_name=name,
            sampler=strat.sampler(),
            pruner=strat.pruner(space),
            maximize=maximize,
        )
        _check_metric(study, metric)
        lease = join_study(
            study,
            fingerprint=fingerprint,
            strategy=strategy,
            shareable=strat.shareable,
            why_not=strat.unshared_reason,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names([metric])
        return study, lease

    study = lease = None
    if store is not None:
        if resuming is None:
            RunDir.refuse_existing(out)  # before the study is joined: nothing written yet
        study, lease = joined(store)
    try:
        run = resuming or RunDir.create(out)
        resumed = resuming is not None
        if study is None:  # the run folder's own study.db
            try:
                study, lease = joined(open_storage(storage, run_dir=run.path))
            except InvalidInputError:
                run.abandon()
                raise
    except BaseException:
        if lease is not None:
            lease.release()
        raise
    if resumed:
        job = Job.resume(
            run,
            dataset=ds,
            data=data_spec,
            load_options=load_options,
            started=started,
            config=config,
        )
    else:
        job = Job.start(
            run,
            command="tune",
            dataset=ds,
            data=data_spec,
            load_options=load_options,
            split=split,
            seed=seed,
            started=started,
            config=config,
        )
    stale = fail_stale_trials(study)
    # from the job's start, as the autopilot's: reading 1,000,000 rows took 40 s outside a
    # search's 60 s, and the same --budget meant two things
    budget.start(at=started)
    start_note = None
    if budget_s is not None and strat.start is not None and not study.get_trials(deepcopy=False):
        strat.start, start_note = _fitted_start(
            strat.start, space, data, budget_s, device=device, precision=precision
        )

    def finished_count() -> int:
        from optuna.trial import TrialState

        done = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        return sum(  # a dead worker's and a Ctrl-C's trials trained nothing: not counted
            1
            for t in study.get_trials(deepcopy=False, states=done)
            if not t.user_attrs.get(STALE_ATTR)
            and t.user_attrs.get(FAIL_REASON_ATTR) != INTERRUPTED_REASON
        )

    def current_best() -> optuna.trial.FrozenTrial | None:
        return best_trial(
            study.get_trials(deepcopy=False), maximize=maximize, constraints=satisficing
        )

    on_row = progress if callable(progress) else None
    batch = BATCH[executor]
    state = {"same": 0, "kind": "", "told": 0}
    told: set[int] = set()  # the trials this run told: a Ctrl-C fails only the others
    stop: Stop | None = None
    sign = 1.0 if maximize else -1.0

    def tell(trial: optuna.trial.Trial, trained: Trained | None, reason: str | None) -> None:
        """Record one trial's result (COMPLETE, PRUNED or FAIL with its reason)."""
        from optuna.trial import TrialState

        from orthotune.diagnose import diagnose
        from orthotune.fit import error_levels

        state["told"] += 1
        told.add(trial.number)
        if isinstance(study.pruner, KnownCompletePruner):
            study.pruner.refresh()  # this trial may join the COMPLETE ones
        if trained is not None and trained.failed is None and trained.model is None:
            # its turn came after the deadline: nothing was measured, nothing failed
            trial.set_user_attr("complete", False)
            trial.set_user_attr("epochs_trained", 0)
            trial.set_user_attr(TRUNCATED_ATTR, trained.stop_message)
            study.tell(trial, state=TrialState.PRUNED)
            return
        if trained is not None and trained.failed is None and trained.model is not None:
            latency = _latency_ms(trained, data)
            metrics = _trial_metrics(trained, latency)
            diag = diagnose(error_levels(trained, data, human_error=human, bayes_error=bayes))
            trial.set_user_attr(METRICS_ATTR, metrics)
            trial.set_user_attr("errors", trained.errors)
            trial.set_user_attr(
                "diagnosis", {"problem": str(diag.problem), "headline": diag.verdict.headline}
            )
            trial.set_user_attr("complete", trained.complete)
            trial.set_user_attr("epochs_trained", len(trained.history))
            if trained.lineage:  # PBT: the knobs it ended with are not its sampled params
                trial.set_user_attr(PBT_ATTR, trained.lineage)
            feasible = all(c(metrics) for c in satisficing)
            trial.set_user_attr(FEASIBLE_ATTR, feasible)
            value = metrics[metric]
            state["same"] = 0
            if trained.pruned:
                study.tell(trial, state=TrialState.PRUNED)
                return
            if not trained.complete:
                # cut short by the budget: it did not train as configured (a one-cycle schedule
                # cut at its peak says nothing of its configuration), so it is no measurement
                # for the sampler and never the incumbent; Optuna keeps its last intermediate
                # value as the PRUNED trial's value
                trial.set_user_attr(TRUNCATED_ATTR, trained.stop_message)
                study.tell(trial, state=TrialState.PRUNED)
                return
            if feasible and math.isfinite(value):
                best = current_best()
                if shared or best is None or sign * value > sign * float(best.value):
                    path = _save_incumbent(job, trial.number, trained, data)
                    trial.set_user_attr(CHECKPOINT_ATTR, str(path))
                    if not shared:  # a killed search's predict RUN uses it, as the autopilot's
                        run.set_best(path.name)
                    study.tell(trial, value)
                    _prune(run, study, keep=keep, maximize=maximize)
                    return
            study.tell(trial, value)
            return
        why = reason or (trained.failed if trained is not None else None) or "unknown failure"
        trial.set_user_attr(FAIL_REASON_ATTR, why)
        study.tell(trial, state=TrialState.FAIL)
        kind = _failure_kind(why)
        state["same"] = state["same"] + 1 if kind == state["kind"] else 1
        state["kind"] = kind

    def report_row(number: int) -> None:
        if on_row is None:
            return
        board = leaderboard(study, metric=metric, maximize=maximize, constraints=satisficing)
        row = next((r for r in board.rows if r.number == number), None)
        if row is not None:
            on_row(row)

    earlier = current_best() if resumed else None
    if earlier is not None and on_row is not None:  # the progress's best is the study's: a
        # resumed run's lines said "best dev error 20.00 % (trial 3)" beside the study's 17.50 %
        board = leaderboard(study, metric=metric, maximize=maximize, constraints=satisficing)
        row = next((r for r in board.rows if r.number == earlier.number), None)
        if row is not None:
            on_row(row.model_copy(update={"earlier": True}))

    with Heartbeat(store) as heartbeat:
        try:
            while True:
                check_interrupt()  # a Ctrl-C deferred out of a database call (orthotune._interrupt)
                best = current_best()
                stop = budget.stop(
                    finished=finished_count(), best=None if best is None else float(best.value)
                )
                if stop is not None:
                    break
                if state["same"] >= MAX_SAME_FAILURES:
                    stop = Stop(
                        StopReason.FAILURES,
                        f"{state['same']} trials in a row failed the same way: {state['kind']}",
                    )
                    break
                stale += fail_stale_trials(study)  # whichever worker sees a stale trial first
                left = budget.trials_left(finished_count())
                n = batch if left is None else max(1, min(batch, left))
                if isinstance(study.pruner, KnownCompletePruner):
                    study.pruner.refresh()  # other workers' trials may have finished
                asked = strat.ask(study, space, n)
                if not asked:
                    stop = Stop(StopReason.EXHAUSTED, f"the {strategy} strategy has nothing left")
                    break
                heartbeat.track(asked)
                try:
                    _run_batch(
                        asked,
                        study=study,
                        space=space,
                        data=data,
                        executor=executor,
                        device=device,
                        precision=precision,
                        seed=seed,
                        deadline=None
                        if budget_s is None
                        else time.monotonic() + max(budget.remaining(), 1e-3),
                        maximize=maximize,
                        exploit=strat.exploit_hook(space),
                        tell=tell,
                        on_told=report_row,
                        on_progress=on_epoch,
                    )
                except KeyboardInterrupt:
                    clear_interrupt()  # acted on: later checks pass
                    for trial in asked:
                        if trial.number in told:  # counted twice before (24 trials said,
                            continue  # 17 in the study)
                        try:
                            tell(trial, None, INTERRUPTED_REASON)
                        except Exception:  # already told
                            continue
                    stop = Stop(StopReason.INTERRUPTED, "interrupted by the user (Ctrl-C)")
                    break
                finally:
                    heartbeat.untrack(asked)
        except KeyboardInterrupt:  # between batches: asking, the budget's checks
            clear_interrupt()
            stop = Stop(StopReason.INTERRUPTED, "interrupted by the user (Ctrl-C)")
    # as it stops: no trial of its own left RUNNING, and one more sweep for dead workers' trials
    fail_own_orphans(study)
    stale += fail_stale_trials(study)
    if lease is not None:
        lease.release()

    best = current_best()
    board = leaderboard(study, metric=metric, maximize=maximize, constraints=satisficing)
    summary = SearchSummary(
        run_dir=str(run.path),
        data=data_spec,
        strategy=strategy,
        executor=executor,
        study_name=name,
        storage=redact(storage) if storage else f"sqlite:///{run.study_db.resolve()}",
        metric=metric,
        maximize=maximize,
        constraints=[str(c) for c in satisficing],
        resumed=resumed,
        stale_failed=stale,
        trials_this_run=state["told"],
        stop_reason=str(stop.reason) if stop else "",
        stop_message=stop.message if stop else "",
        leaderboard=board,
        seconds=0.0,
        filled=job.record.filled,
    )
    if start_note is not None:
        summary.notes.append(start_note)
    if best is not None:
        _finish_best(summary, job, best, data, space, human, bayes, device, precision, seed)
    else:
        summary.notes.append(board.note or "no trial is eligible as best")
        summary.no_model = _cut_short(study) or _why_no_model(board, name, run.path)
    _prune(run, study, keep=keep, maximize=maximize)
    summary.seconds = job.seconds()
    job.close(summary, exclude={"leaderboard", "diagnosis"})
    if resumed:
        run.release()
    return summary


def _fitted_start(
    start: dict[str, Any], space: Any, data: Any, seconds: float, *, device: str, precision: str
) -> tuple[dict[str, Any], str | None]:
    """``start`` with as many of its epochs as fit in ``START_SHARE`` of ``seconds`` at the pace
    ``fit.epoch_seconds`` measures, and a note saying so; unchanged (note None) when they all
    fit, when fewer than the space's least would, or when the space does not search epochs."""
    from orthotune.fit import Candidate, epoch_seconds
    from orthotune.search._candidate import params_to_candidate

    low = getattr(space["epochs"], "low", None) if "epochs" in space else None
    if low is None:
        return start, None
    try:
        spec, config = params_to_candidate(
            space.project(start),
            input_shape=tuple(data.train.x.shape[1:]),
            num_classes=data.dataset.num_classes,
        )
    except InvalidInputError:  # a space the start does not fit: the sampler fills it in
        return start, None
    x, y = data.train.x, data.train.y
    per = epoch_seconds(
        Candidate("start", spec, config), x, y, folds=None, device=device, precision=precision
    )
    fitted = int(START_SHARE * seconds / per)
    if fitted >= config.epochs or fitted < low:
        return start, None
    note = f"the first trial trains {fitted} of its {config.epochs} epochs to fit the budget"
    return {**start, "epochs": fitted}, note


def _why_no_model(board: Leaderboard, study_name: str, run_dir: Path | str) -> str:
    """Why no trial is the best, and the fix, when the budget did not cut them: its trials stay
    in the study, so a looser ``--constraint`` resumes them; failed ones name their first
    reason."""
    if board.constraints and any(r.state == "complete" for r in board.rows):
        return (
            f"no model chosen: no completed trial meets --constraint "
            f"{', '.join(board.constraints)} (the trials table shows what each reached); fix: "
            f"loosen the constraint and resume the trials with --study {study_name} --out {run_dir}"
        )
    first = next((r for r in board.rows if r.fail_reason), None)
    why = "" if first is None else f" (trial {first.number}: {first.fail_reason})"
    return (
        f"no model chosen: no trial finished with a finite value{why}; fix: change the "
        "settings that failed (the flags, --space) and run again with a new --out"
    )


def _cut_short(study) -> str | None:
    """What to do when the budget cut trials short and none completed (else None): the first
    cut trial's epochs, and how to go on."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    cut = [t for t in trials if TRUNCATED_ATTR in t.user_attrs]
    if not cut or any(t.state == TrialState.COMPLETE for t in trials):
        return None
    first = cut[0]
    trained, planned = first.user_attrs.get("epochs_trained"), first.params.get("epochs")
    of = f" (trial {first.number}: {trained} of its {planned} epochs)" if planned else ""
    return (
        f"the time budget cut {len(cut)} trial(s) short before any completed{of}: run the same "
        f"command with --study {study.study_name} and a larger --budget to go on with this "
        "study, or give --trials N (no time limit)"
    )


def _run_batch(
    asked: list,
    *,
    study: optuna.Study,
    space: Any,
    data: PreparedData,
    executor: str,
    device: str,
    precision: str,
    seed: int,
    deadline: float | None,
    maximize: bool,
    tell: Callable,
    on_told: Callable[[int], None],
    exploit: Any = None,
    on_progress: EpochHook | None = None,
) -> None:
    """Turn asked trials into candidates, train them, report per-epoch values, tell results."""
    import optuna

    from orthotune.fit import Candidate, train_candidates
    from orthotune.search._space import PARAMS_ATTR

    by_name: dict[str, Any] = {}
    candidates = []
    for trial in asked:
        params = trial.user_attrs.get(PARAMS_ATTR) or space.values_of(trial)
        try:
            from orthotune.search._candidate import params_to_candidate

            spec, config = params_to_candidate(
                params,
                input_shape=tuple(data.train.x.shape[1:]),
                num_classes=data.dataset.num_classes,
            )
        except InvalidInputError as err:
            tell(trial, None, f"invalid parameters: {err}")
            on_told(trial.number)
            continue
        try:
            trial.set_user_attr(SEED_ATTR, seed + trial.number)
        except optuna.exceptions.UpdateFinishedTrialError:
            # another worker failed it as stale while this one was still asking (retrying a
            # lost database, say): nobody trains it
            logger.warning("trial %d was finished by another worker; not trained", trial.number)
            continue
        name = f"trial-{trial.number}"
        by_name[name] = trial
        candidates.append(Candidate(name, spec, config, seed=seed + trial.number))
    if not candidates:
        return
    # cheapest first: the executor trains a batch's models (or populations) one after another,
    # and a search's batches seldom share a structure, so a cheap trial that beats the
    # incumbent is told before the dearer ones finish, and the deadline cuts the dearest (12
    # seeds of the synthetic development set, 45 s each: the median time to the start's dev
    # accuracy + 0.5 points fell from 2.5 to 1.65 s, sooner in 9 seeds of 12; README, Results)
    from orthotune.search._candidate import training_cost

    candidates.sort(key=lambda c: training_cost(c.spec, c.config, len(data.train.y)))

    def on_epoch(cand: Candidate, epoch: int, dev_error: float | None) -> bool:
        if on_progress is not None:
            on_progress(cand, epoch, dev_error)
        if dev_error is None or not math.isfinite(dev_error):
            return False
        trial = by_name[cand.name]
        trial.report(1.0 - dev_error if maximize else dev_error, step=epoch)
        return trial.should_prune()

    def on_trained(trained: Trained) -> None:
        trial = by_name[trained.candidate.name]
        try:
            tell(trial, trained, None)
        except optuna.exceptions.UpdateFinishedTrialError:  # failed as stale by another worker
            logger.warning("trial %d was finished by another worker; result dropped", trial.number)
            return
        on_told(trial.number)

    train_candidates(
        candidates,
        data,
        executor=executor,
        device=device,
        precision=precision,
        deadline=deadline,
        on_trained=on_trained,
        on_epoch=on_epoch,
        exploit=exploit,
    )


def _latency_ms(trained: Trained, data: PreparedData) -> float | None:
    from orthotune.metrics import measure_latency

    try:
        lat = measure_latency(trained.model, data.dev.x[0], batch_size=1, warmup=2, repeats=10)
    except Exception:  # a latency that cannot be measured is missing, not fatal
        logger.warning("latency of %s not measured", trained.candidate.name, exc_info=True)
        return None
    return lat.per_example_ms


def _history(trained: Trained) -> Any:
    from orthotune._records import History

    return History(
        epochs=trained.history,
        stop_reason=trained.stop_reason or None,
        stop_message=trained.stop_message,
    )


def _manifest(job: Any, name: str, trained: Trained, data: PreparedData, **metrics: Any) -> Any:
    """The checkpoint's manifest of ``trained`` (``metrics``: ``test``, ``temperature``)."""
    cand = trained.candidate
    return job.manifest(
        name,
        spec=cand.spec,
        config=cand.config,
        normalizer=data.normalizer,
        errors=trained.errors,
        **metrics,
    )


def _save_incumbent(job: Any, number: int, trained: Trained, data: PreparedData) -> Path:
    """Checkpoint + history of a new incumbent."""
    name = f"trial-{number}"
    return job.save_model(trained.model, _manifest(job, name, trained, data), _history(trained))


def _prune(run: Any, study: optuna.Study, *, keep: int | None, maximize: bool) -> None:
    """Bound the checkpoints (``RunDir.prune_models``): the chosen model and the incumbents,
    oldest first — each beat the one before, so the worst first. A trial's checkpoint that an
    earlier run of the study saved as its chosen model (re-trained at its end: no incumbent
    when it ran) counts as one; a resume removed it unsaid. A worker of a shared study
    (``workers/<host>-<pid>``) keeps them all."""
    from optuna.trial import TrialState

    if run.path.parent.name == WORKERS_DIR:
        return
    on_disk = set(run.model_names())
    saved = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if (t.user_attrs.get(CHECKPOINT_ATTR) or f"trial-{t.number}" in on_disk)
        and t.value is not None
    ]
    saved.sort(key=lambda t: (float(t.value) if maximize else -float(t.value), -t.number))
    run.prune_models([f"trial-{t.number}" for t in saved], keep=keep)


def _finish_best(
    summary: SearchSummary,
    job: Any,
    best: optuna.trial.FrozenTrial,
    data: PreparedData,
    space: Any,
    human: float | None,
    bayes: float | None,
    device: str,
    precision: str,
    seed: int,
) -> None:
    """Load (or re-train) the chosen trial's model, score test once, diagnose, name it best."""
    import torch

    from orthotune.diagnose import diagnose
    from orthotune.fit import Candidate, Trained, error_levels, score_parts, train_candidates
    from orthotune.search._space import PARAMS_ATTR
    from orthotune.train import load_checkpoint

    run = job.run
    name = f"trial-{best.number}"
    params = best.user_attrs.get(PARAMS_ATTR) or space.values_of(best)
    from orthotune.search._candidate import params_to_candidate

    spec, config = params_to_candidate(
        params, input_shape=tuple(data.train.x.shape[1:]), num_classes=data.dataset.num_classes
    )
    cand = Candidate(name, spec, config, seed=int(best.user_attrs.get(SEED_ATTR, seed)))
    try:  # its own checkpoint, or (a shared study) the one its worker saved
        saved_at = Path(best.user_attrs.get(CHECKPOINT_ATTR) or run.model_dir(name))
        model, saved = load_checkpoint(saved_at if saved_at.is_dir() else run.model_dir(name))
        wrong = score_parts(model, data.parts(), device=torch.device("cpu"))
        history = run.read_history(name).epochs if run.history_path(name).is_file() else []
        # the checkpoint's own spec and config: a PBT member ends with knobs of its own
        cand = Candidate(name, saved.spec, saved.train_config or config, seed=cand.seed)
        chosen = Trained(cand, model, history=history, wrong=wrong)
    except Exception as err:  # missing (killed before it was written) or damaged: re-train
        logger.info("checkpoint of %s unusable (%s): re-training it", name, err)
        chosen = train_candidates(
            [cand], data, executor="sequential", device=device, precision=precision
        )[0]
        if chosen.failed or chosen.model is None:
            summary.notes.append(f"the best trial {best.number} could not be re-trained")
            return
        summary.notes.append(f"trial {best.number}'s checkpoint was missing: re-trained it")
        if best.user_attrs.get(PBT_ATTR):
            summary.notes.append(
                "it was a PBT member: the re-trained model used its sampled knobs, without the "
                "exploits it underwent"
            )
        chosen.model.cpu()

    done = job.finish(chosen.model, data, seed=seed)
    test_error = done.test_metrics.get("error")
    manifest = _manifest(
        job, name, chosen, data, test=done.test_metrics, temperature=done.temperature
    )
    job.save_model(chosen.model, manifest, _history(chosen) if chosen.history else [])
    job.run.set_best(name)
    diagnosis = diagnose(
        error_levels(chosen, data, human_error=human, bayes_error=bayes, test_error=test_error)
    )
    run.write_diagnosis(diagnosis)
    summary.best_trial = best.number
    summary.best_value = float(best.value)
    summary.chosen = name
    summary.chosen_model_dir = str(run.model_dir(name))
    summary.errors = chosen.errors
    summary.test_metrics = done.test_metrics
    summary.diagnosis = diagnosis
    summary.parameters, summary.latency_ms = done.parameters, done.latency_ms
    for key, value in done.calibration_fields().items():
        setattr(summary, key, value)
