"""``orthotune tune --strategy autopilot``: data → run folder → autopilot → chosen model,
its test metrics (measured once), the final diagnosis and the decision log.

Everything is written into the run folder (DESIGN.md): run.json, split.json, study.db (one
trial per model trained), models/<name>/ for every incumbent (the baseline and each kept
variant, saved as it is kept, so that a killed job leaves its best model so far; ``keep`` bounds
them: the chosen one and the newest ``keep − 1``) + models/best, history/<name>.json,
calibration.json (temperature scaling on dev), diagnosis.json, decisions.json and
analysis/learning_curve.json (when the autopilot measured whether more data would help). The job
returns; its caller (``orthotune.tune``, the CLI) renders report.html from the run folder.

Ctrl-C while models train stops the loop (``StopReason.INTERRUPTED``) and the job finishes as
usual with the model kept so far: test score, calibration (the caller renders the report). The
autopilot does not resume: the same ``--out`` is refused — but after a Ctrl-C before any model
was kept, which leaves no run folder behind (as a refusal does), so the same command works.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import Field

from orthotune._clock import job_started
from orthotune._errors import InvalidInputError
from orthotune._records import DecisionLog, History, JobSummary, Step
from orthotune._result import Result
from orthotune.autopilot._loop import AutopilotSettings, run_autopilot
from orthotune.autopilot._study import record_trial
from orthotune.diagnose import Diagnosis
from orthotune.fit import EpochHook

if TYPE_CHECKING:
    import pandas as pd

    from orthotune.data import Dataset

__all__ = ["TuneSummary", "tune_autopilot"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1


class TuneSummary(Result):
    """What ``orthotune tune`` hands back (``--json`` prints it)."""

    schema_version: int = SCHEMA_VERSION
    run_dir: str
    data: str
    strategy: str = "autopilot"
    chosen: str
    chosen_model_dir: str
    report: str | None = None
    test_metrics: dict[str, float] = Field(default_factory=dict)
    errors: dict[str, float] = Field(default_factory=dict)
    diagnosis: Diagnosis
    decisions: DecisionLog
    seconds: float
    models_trained: int
    filled: list[str] = Field(default_factory=list)  # what --impute filled, per column
    temperature: float = 1.0  # the chosen checkpoint's softmax temperature (temperature scaling)
    ece_before: float | None = None  # dev ECE without it
    ece_after: float | None = None  # dev ECE with it, out of fold (cross-fitted)
    calibration: str | None = None  # what temperature scaling did, in words
    parameters: int = 0  # the chosen model's (an ensemble's: all its members')
    latency_ms: float | None = None  # median time of one example, batch of 1 (all members)
    members: int = 1  # networks in the chosen model (> 1: an ensemble, probabilities averaged)
    notes: list[str] = Field(default_factory=list)  # what went wrong around the run (the report)


def tune_autopilot(
    data_spec: str | pd.DataFrame | Dataset,
    *,
    load_options=None,
    split_policy=None,
    out: str | Path,
    settings: AutopilotSettings,
    study_name: str | None = None,
    storage: str | None = None,
    on_step: Callable[[Step], None] | None = None,
    init_from: str | Path | None = None,
    freeze: str | int | None = None,
    on_epoch: EpochHook | None = None,
    keep: int | None = None,
) -> TuneSummary:
    """Run the autopilot on ``data_spec`` (DATA; a pandas DataFrame, kept in the run folder;
    or a ``Dataset`` in memory: its ``name`` stands for DATA) and leave everything in the run
    folder ``out``.

    ``init_from`` (a run or model folder) gives the ``transfer_learning`` knob its checkpoint,
    ``freeze`` the layers it keeps (``orthotune.train.load_warm_start``). ``on_step`` and
    ``on_epoch`` report progress; ``keep`` bounds the checkpoints kept (module doc)."""
    import dataclasses

    import optuna

    from orthotune._rundir import RunDir, check_keep
    from orthotune.data import Dataset, check_dev_part, make_split, prepare, warn_without_test
    from orthotune.pipeline import Job, check_levels, load
    from orthotune.search import (
        join_study,
        open_storage,
        open_study,
        study_fingerprint,
    )
    from orthotune.train import check_precision, load_warm_start, parse_freeze

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the CLI renders what matters
    started = job_started()  # the command's start under the CLI (orthotune._clock)
    check_precision(settings.precision)  # before the run folder exists
    if freeze is not None and init_from is None:
        raise InvalidInputError(
            f"--freeze {freeze} keeps layers of initial weights, but no --init-from gives "
            "them; add --init-from RUN_DIR|MODEL_DIR or drop --freeze"
        )
    parse_freeze(freeze)
    check_keep(keep)
    RunDir.refuse_existing(out)
    in_memory = isinstance(data_spec, Dataset)  # no file to predict again (a DataFrame: its copy)
    ds, data_spec = load(data_spec, load_options)
    # the levels as the run uses them (a built-in's own included), before the run folder
    human, bayes = check_levels(ds, settings.human_error, settings.bayes_error)
    settings = dataclasses.replace(settings, human_error=human, bayes_error=bayes)
    split = make_split(ds, seed=settings.seed, policy=split_policy)
    # before the run folder: a refusal leaves none behind
    check_dev_part(split, ds.name, "tune chooses every model on dev")
    warn_without_test(split, ds.name)
    if init_from is not None:  # before the run folder: a refused checkpoint leaves no run
        warm = load_warm_start(
            init_from, data_shape=tuple(ds.input_shape), class_names=ds.class_names, freeze=freeze
        )
        settings = dataclasses.replace(settings, warm_start=warm)
    run = RunDir.create(out)
    data = prepare(ds, split)
    job = Job.start(
        run,
        command="tune",
        dataset=ds,
        data=data_spec,
        load_options=load_options,
        split=split,
        seed=settings.seed,
        config={
            "strategy": "autopilot",
            "budget_s": settings.budget_s,  # null: no time limit (a count budget)
            "trials": settings.trials,
            "human_error": settings.human_error,
            "bayes_error": settings.bayes_error,
            "tolerance": settings.tolerance,
            "goal": settings.goal,
            "executor": settings.executor,
            "precision": settings.precision,
            "refit": settings.refit,
            "init_from": None
            if settings.warm_start is None
            else settings.warm_start.record.model_dump(mode="json"),
        },
        started=started,
    )
    try:  # a --storage refused (bogus://x) leaves no run to refuse the same --out again
        study = open_study(
            open_storage(storage, run_dir=run.path),
            study_name=study_name or "autopilot",
            maximize=True,
        )
    except InvalidInputError:
        run.abandon()
        raise
    with warnings.catch_warnings():  # its values are 1 − dev error (the report said "objective")
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(["dev_accuracy"])

    def save(trained, *, test_metrics: dict[str, float] | None = None, temperature=1.0):
        """The checkpoint and history of ``trained``, named as models/best."""
        cand = trained.candidate
        manifest = job.manifest(
            cand.name,
            spec=cand.spec,
            config=cand.config,
            normalizer=data.normalizer,
            errors=trained.errors,
            test=test_metrics or {},
            init_from=None if cand.init is None else cand.init.record,
            temperature=temperature,
            # held-out dev logits: the weights learned from dev too (a refit, or k-fold)
            learned_from=("train",) if trained.dev_logits is None else ("train", "dev"),
        )
        history = History(
            epochs=trained.history,
            stop_reason=trained.stop_reason or None,
            stop_message=trained.stop_message,
        )
        job.save_model(trained.model, manifest, history)
        job.run.set_best(cand.name)
        if cand.name not in incumbents:
            incumbents.append(cand.name)
        run.prune_models(incumbents, keep=keep)

    incumbents: list[str] = []  # the baseline and each kept variant, in order

    def on_trained(trained, step, problem) -> None:
        label = next((v.label for v in step.variants if v.name == trained.candidate.name), "")
        record_trial(study, trained, step=step.index, problem=problem, knob=step.knob, label=label)
        if trained.candidate.name == step.kept:  # a new incumbent: on disk before it is used
            save(trained)

    def on_inputs(chosen) -> None:  # step 0 kept binned inputs: their normalizer goes along
        nonlocal data
        data = chosen

    try:  # refused (another worker holds the study, other data): no run is left behind
        lease = join_study(  # the orthogonal loop cannot be shared: one worker holds the study
            study,
            fingerprint=study_fingerprint(
                data=(ds.x.numpy().tobytes(), ds.y.numpy().tobytes()),
                split=split.to_json(ds),
                space={"strategy": "autopilot"},
            ),
            strategy="autopilot",
            shareable=False,
            why_not="the autopilot's orthogonal loop is sequential: each step decides from the "
            "last",
        )
    except InvalidInputError:
        run.abandon()
        raise
    refused = False
    try:
        result = run_autopilot(
            data,
            settings,
            on_step=on_step,
            on_trained=on_trained,
            on_epoch=on_epoch,
            on_inputs=on_inputs,
            started=started,  # loading, preparing and opening the study count in the budget
        )
    except KeyboardInterrupt:  # before the baseline was trained, or between two steps
        refused = not incumbents  # no model kept: nothing to keep, and the same --out works
        if not refused:
            summary = JobSummary(stop_reason="interrupted", incumbents=incumbents)
            run.write_run(job.record.model_copy(update={"summary": summary}))
        raise
    except InvalidInputError:  # refused before any model was kept: no run is left behind
        refused = not incumbents
        raise
    finally:
        if lease is not None:
            lease.release()
        if refused:
            run.abandon()
    chosen, notes = result.chosen, []
    name = chosen.candidate.name
    out_of_fold = None if chosen.dev_logits is None else (chosen.dev_logits, chosen.dev_y)
    calibrate = not _refitted_across_mismatch(result)
    if not calibrate:
        said = (
            "no temperature scaling: the chosen model learned the dev distribution in its "
            "refit on train + dev, and the configuration before it, whose dev logits would fit "
            "the temperature, had seen none of it (data mismatch): its temperature would not "
            "fit this model (a new-user sweep: T = 7.0 raised the test rows' calibration error "
            "13.2 → 30.8 %)"
        )
        logger.warning(said)
        notes.append(said)
    done = job.finish(
        chosen.model, data, seed=settings.seed, out_of_fold=out_of_fold, calibrate=calibrate
    )
    save(chosen, test_metrics=done.test_metrics, temperature=done.temperature)
    said = _refit_as_fix(result, done.test_metrics)
    if said is not None:
        logger.warning(said)
        notes.append(said)
    run.write_diagnosis(result.diagnosis)
    run.write_decisions(result.log)
    if result.learning_curve is not None:  # would more data help? (the report draws it)
        from orthotune.analysis import save_result

        save_result(result.learning_curve, run.analysis_dir, "learning_curve")
    if out_of_fold is not None and result.held_out_ids is not None and not in_memory:
        # the chosen model learned from dev (refit or k-fold): error analysis reads the dev
        # rows' predictions of models that had not seen them (k-fold's cover train too: only
        # the dev rows are replaced, the train rows stay the model's own)
        from orthotune.analysis import write_held_out_predictions

        # a hash lookup: ``np.isin`` compares object arrays (string ids) pair by pair — 65,469
        # dev ids against as many took 295 s after the budget of a 327,346-row table (a sweep)
        dev = pd.Index(result.held_out_ids).isin(data.dev.ids)
        logits = out_of_fold[0].numpy()[dev]
        try:
            write_held_out_predictions(run.path, result.held_out_ids[dev], logits)
        except InvalidInputError as err:  # DATA deleted or changed while the job ran: the
            # model and its scores stand (the run ended in exit 2, unfinished, after its budget)
            logger.warning("the error analysis's predictions were not written: %s", err)
            notes.append(f"analysis/predictions.csv was not written: {err}")
    dev_error = chosen.errors.get("dev")
    counted = len(data.dev) if result.held_out_ids is None else len(result.held_out_ids)
    for said in (
        _at_the_floor(result.log, dev_error, counted),
        _confounded(data, result.diagnosis),
        _unlearnable(data, dev_error),
        # on stderr and in the notes (--json): the summary line alone said it before
        _yardstick_ahead(result.log, dev_error, counted),  # k-fold: every pooled row counts
    ):
        if said is None:
            continue
        logger.warning(said)
        notes.append(said)
    summary = TuneSummary(
        run_dir=str(run.path),
        data=job.data,
        chosen=name,
        chosen_model_dir=str(run.model_dir(name)),
        test_metrics=done.test_metrics,
        errors=chosen.errors,
        diagnosis=result.diagnosis,
        decisions=result.log,
        seconds=job.seconds(),
        models_trained=len(result.trained),
        filled=job.record.filled,
        **done.calibration_fields(),
        parameters=done.parameters,
        latency_ms=done.latency_ms,
        members=len(getattr(chosen.model, "members", [chosen.model])),
        notes=notes,
    )
    job.close(summary, exclude={"decisions", "diagnosis"})  # the notes too: the report shows them
    return summary


def _refitted_across_mismatch(result) -> bool:
    """Whether the chosen model was refitted on train + dev where dev comes from another
    distribution than train (the final diagnosis calls the data mismatch high): then the dev
    logits of the configuration before its refit say nothing of how confident the refitted
    model is on that distribution."""
    return result.log.refitted and bool(result.diagnosis.is_high.get("data_mismatch"))


def _confounded(data, diagnosis: Diagnosis) -> str | None:
    """Where the user's split column has no train-dev rows and the variance is high: that the
    gap (dev − train) also holds any data mismatch, and how to tell the two apart (a new-user
    sweep, dev from another distribution than train: "High variance", and no word that a
    domain classifier told train from dev with AUC 1.0)."""
    variance = diagnosis.decomposition.variance
    preset = data.dataset.preset_split
    if (
        data.train_dev is not None
        or preset is None
        or not (preset == "dev").any()  # the user's own dev set (a built-in's test set: no)
        or not diagnosis.is_high.get("variance")
    ):
        return None
    return (
        f"the split column has no 'train-dev' rows, so the variance gap (dev − train, "
        f"{variance.value:.2%}) also holds any data mismatch between the training and the dev "
        "distributions: if dev comes from another one, mark some training rows 'train-dev' "
        "(the lecture's train-dev set: as train, never trained on) to tell the two apart"
    )


def _refit_as_fix(result, test_metrics: dict[str, float]) -> str | None:
    """Where the refit taught the model the dev distribution (``_refitted_across_mismatch``):
    that it did, with the test error before and after it — the largest mismatch fix of the run
    went unsaid while the summary advised "get more training data like the dev set" (a
    new-user sweep: test accuracy 39.5 % without the refit, 64.8 % with it)."""
    before = result.diagnosis.levels.test
    if not _refitted_across_mismatch(result) or before is None or "error" not in test_metrics:
        return None
    return (
        "the refit on train + dev gave the model examples of the dev distribution — the "
        "lecture's fix for data mismatch, training data like dev: test error "
        f"{before.error:.2%} before it, {test_metrics['error']:.2%} after (the "
        "diagnosis is the configuration's before its refit)"
    )


def _unlearnable(data, dev_error: float | None) -> str | None:
    """How much of the dev error is of classes no training example has: no knob can lower it,
    and it counts in whatever gap dev shows (a sweep: 63 of 600 dev rows, 10.5 of a 16.7-point
    "data mismatch", sent the autopilot to the mismatch knobs). The load's warning names the
    classes; this says what they cost."""
    if data.dev is None or dev_error is None or not len(data.dev):
        return None
    dev = data.dev.y.numpy()
    never = ~np.isin(dev, data.train.y.numpy())
    if not never.any():
        return None
    names = sorted({str(data.dataset.class_names[c]) for c in dev[never]})
    shown = ", ".join(map(repr, names[:3])) + (", …" if len(names) > 3 else "")
    return (
        f"{int(never.sum())} of the {len(dev)} dev examples are of class(es) no training "
        f"example has ({shown}): always wrong, they are {never.mean():.2%} of the "
        f"{dev_error:.2%} dev error — no knob can lower that part, which counts in whatever gap "
        "dev shows; add training examples of them"
    )


def _below(error: float, other: float, examples: int) -> bool:
    """Whether dev ``error`` is below ``other`` by more than two of the ``examples`` they count
    (one is noise): the yardstick's bar against the network and against the floor."""
    return error < other - 2 / max(examples, 1)


# the floor's class is named as what accuracy rewards where it holds this share of dev or more:
# two classes where the other is a minority by ``analysis.detect_imbalance``'s rule (under
# half the mean class count)
MAJORITY_SAID = 0.25


def _at_the_floor(log: DecisionLog, dev_error: float | None, dev_examples: int) -> str | None:
    """That the chosen model's dev error is no lower than the floor's (always the most
    frequent class) by more than two of the ``dev_examples`` (``_below``: a sweep's nassCDS,
    4.46 % against 4.50 %, two of 5,244 examples, and test accuracy the floor's to the row,
    went unsaid), and what it means: where the gradient-boosting yardstick beat the floor by as
    much, the inputs do predict the label and the network did not learn it ("the inputs may
    not predict the label" stood beside a yardstick at 20.69 % against the floor's 23.72 %: a
    new user's flights); otherwise they may not. Where the floor's class is the majority, the
    accuracy that rewards predicting it is named. Said in the terminal's summary only, it was
    missing under --json and on stderr (4 of 17 real tables a user tried)."""
    floor = log.floor or {}
    if None in (floor.get("dev_error"), dev_error):
        return None
    if _below(dev_error, floor["dev_error"], dev_examples):
        return None
    stick = (log.yardstick or {}).get("dev_error")
    if stick is not None and _below(stick, floor["dev_error"], dev_examples):
        why = (
            f"a gradient-boosting model reaches {stick:.2%} on the same inputs, so they do "
            "predict the label: the network did not learn it within the budget (a larger "
            "--budget may)"
        )
    else:
        why = (
            "the inputs may not predict the label, or there are too few examples: get more "
            "data or other features before tuning"
        )
    lower = (
        "no lower than the floor's"
        if dev_error >= floor["dev_error"]
        else f"lower than the floor's by two of its {dev_examples:,} dev examples at most"
    )
    if floor["dev_error"] <= MAJORITY_SAID:
        why += (
            f" (with {1 - floor['dev_error']:.2%} of the dev examples {floor['label']!r}, "
            "accuracy rewards predicting it: judge the other classes by macro F1, and weigh "
            "the classes equally with orthotune train --class-balance)"
        )
    return (
        f"the chosen model's dev error ({dev_error:.2%}) is {lower}, always predicting "
        f"{floor['label']!r} ({floor['dev_error']:.2%}): {why}"
    )


def _yardstick_ahead(log: DecisionLog, dev_error: float | None, dev_examples: int) -> str | None:
    """That the gradient-boosting yardstick is ahead of the chosen network on dev by more than
    two of the ``dev_examples`` their dev errors count (one is noise; under k-fold every pooled
    train + dev row, out of fold — the dev part's count alone made the bar 4× higher). On ames
    the network lost by 1.5 test points with the yardstick ahead on dev (1.71 against 2.18 %),
    and only the terminal's summary line showed both. Not for a yardstick no better than the
    floor: no model to serve instead (a sweep: "it may serve better" of an HGB at the floor's
    23.67 %; the floor's note says what that means)."""
    stick, floor = log.yardstick or {}, log.floor or {}
    ahead = stick.get("dev_error")
    if ahead is None or dev_error is None or not _below(ahead, dev_error, dev_examples):
        return None
    if floor.get("dev_error") is not None and ahead >= floor["dev_error"]:
        return None
    return (
        f"a gradient-boosting model ({stick.get('model')}, {stick.get('how')}) reaches "
        f"{ahead:.2%} dev error, below the chosen network's {dev_error:.2%} by more than two "
        f"of the {dev_examples:,} examples they count: on this table it may serve better "
        "(orthotune returns networks; the yardstick is a reference); a larger budget may close "
        "the gap"
    )
