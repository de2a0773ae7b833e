"""The public Python API: ``tune``, ``train``, ``evaluate``, ``diagnose``, ``compare``, ``load``.

The CLI is a thin layer over these functions: it turns flags into their arguments, calls them
and renders what they return. Each returns a typed result (a pydantic model) whose
``to_json()`` is the text ``--json`` prints for the same call. Bad input raises
``InvalidInputError`` (a ``ValueError``) with one line naming the value, what is accepted and
the fix.

A budget is wall-clock (``budget="5m"``) or a count (``trials=4``: models the autopilot trains,
trials a search runs). A count alone sets no wall-clock limit, so a seeded run does the same
work on any machine::

    import orthotune
    result = orthotune.tune("builtin:digits", trials=4, seed=0, out="runs/digits")
    model = orthotune.load(result.run_dir)      # predict / predict_proba / classes_
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from orthotune._model import Model
    from orthotune.analysis import CleaningOutcome, ErrorReport, LearningCurve
    from orthotune.autopilot import Step, TuneSummary
    from orthotune.data import Dataset, LoadOptions, SplitPolicy
    from orthotune.diagnose import Diagnosis, Evaluation
    from orthotune.search import SearchSummary
    from orthotune.select import Comparison
    from orthotune.train import Callback, TrainSummary

__all__ = [
    "DEFAULT_BUDGET",
    "STRATEGIES",
    "clean",
    "compare",
    "diagnose",
    "errors",
    "evaluate",
    "learning_curve",
    "load",
    "parse_fractions",
    "train",
    "tune",
]

logger = logging.getLogger(__name__)

STRATEGIES = ("autopilot", "grid", "random", "tpe", "evolution", "hyperband", "pbt")
DEFAULT_BUDGET = "5m"  # the wall-clock budget when neither a budget nor a count is given


def _seconds(budget: str | float | None, trials: int | None) -> float | None:
    """The wall-clock budget in seconds: ``budget`` (a duration such as ``"5m"``, or seconds),
    else 5 minutes unless ``trials`` counts the budget instead (then None: no time limit)."""
    from orthotune.search import parse_duration

    if budget is None:
        return None if trials is not None else parse_duration(DEFAULT_BUDGET)
    return parse_duration(budget)  # a number is seconds


@contextlib.contextmanager
def _run_folder(out: Any) -> Iterator[Any]:
    """``out``, or the default run folder ``runs/tune-<time>`` made now (``RunDir.reserve``:
    two runs started within one second — a loop of ``tune`` calls, two shells — get one each),
    removed again when the job leaves it empty (refused before it wrote anything)."""
    if out is not None:
        yield out
        return
    import time

    from orthotune._rundir import RunDir

    reserved = RunDir.reserve(f"runs/tune-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        yield reserved
    finally:
        RunDir.unreserve(reserved)


def _integer(value: Any) -> int | None:
    """``value`` as a Python int when it is an integer of any kind (``numpy.int64`` too; not a
    bool), else None."""
    import numbers

    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return None


def _check_trials(trials: Any) -> int | None:
    """``trials`` as an int ≥ 1 (or None); else one line saying so."""
    from orthotune._errors import InvalidInputError

    counted = _integer(trials)
    if trials is not None and (counted is None or counted < 1):
        raise InvalidInputError(
            f"--trials {trials!r}: accepted is an integer ≥ 1; fix: give e.g. --trials 20"
        )
    return counted


def _data_options(
    *, drop: Sequence[str], split_ratios: str | None, train_dev: bool | None, **columns: Any
) -> tuple[LoadOptions, SplitPolicy]:
    """The data options every call that takes DATA shares (``LoadOptions``, ``SplitPolicy``);
    ``columns``: target, weight, source, id, split_col, dev_source, impute."""
    from orthotune.data import load_options, split_policy

    options = load_options(drop=drop, **columns)
    policy = split_policy(
        ratios=split_ratios, train_dev=train_dev, dev_source=columns.get("dev_source")
    )
    return options, policy


def tune(
    data: str | pd.DataFrame | Dataset | Any = "builtin:mnist1d",
    y: Any = None,
    *,
    strategy: str = "autopilot",
    budget: str | float | None = None,
    trials: int | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    executor: str = "population",
    metric: str = "dev_accuracy",
    constraints: Sequence[str] = (),
    goal: str | float | None = None,
    human_error: str | float | None = None,
    bayes_error: str | float | None = None,
    tolerance: str | float | None = None,
    study: str | None = None,
    storage: str | None = None,
    space: str | None = None,
    device: str = "auto",
    precision: str | None = None,
    init_from: str | Path | None = None,
    freeze: str | int | None = None,
    target: str | None = None,
    weight: str | None = None,
    source: str | None = None,
    id: str | None = None,
    drop: Sequence[str] = (),
    split_col: str | None = None,
    dev_source: str | None = None,
    impute: str = "auto",
    split_ratios: str | None = None,
    train_dev: bool | None = None,
    refit: bool | None = None,
    keep: int | None = None,
    on_step: Callable[[Step], None] | None = None,
    on_trial: Callable[..., None] | None = None,
    on_epoch: Callable[..., object] | None = None,
    write_report: bool = True,
) -> TuneSummary | SearchSummary:
    """``orthotune tune``: the autopilot (default) or a search on Optuna, into the run folder
    ``out`` (default ``runs/tune-<time>``).

    ``data`` is DATA (a file or ``builtin:NAME``) or, for the autopilot, a pandas DataFrame
    (read as a table file: ``target`` and the other column options apply; the run folder keeps
    a copy, data.parquet) or a ``Dataset`` in memory (``orthotune.data.dataset_from_arrays``).
    ``tune(X, y)``, as scikit-learn takes them: ``X`` an array ``[n, …]`` or a DataFrame of
    features, ``y`` the ``n`` labels (``_labelled``).
    ``budget`` is wall-clock (``"90s"``, ``"5m"``, or seconds); ``trials`` counts models
    (autopilot) or trials (search); with ``trials`` alone there is no time limit, else the
    default budget is 5 minutes. Rates
    (``human_error``, ``goal``…) are fractions or percent strings (``"4.2%"``). ``on_step``
    (autopilot) and ``on_trial`` (search) see each finished step or trial, ``on_epoch`` each
    epoch of a model in flight. ``refit`` (autopilot; on unless False) trains the chosen
    configuration again on train + dev at the end; ``keep`` bounds the checkpoints kept. Returns a
    ``TuneSummary`` (autopilot) or ``SearchSummary`` (search).
    """
    seed = _check_seed(seed)
    from orthotune._errors import InvalidInputError
    from orthotune._rates import parse_rate
    from orthotune._rundir import as_folder
    from orthotune.train import resolve_device

    _check_hooks(on_step=on_step, on_trial=on_trial, on_epoch=on_epoch)
    resolve_device(device)  # an unknown or absent device before any folder is made
    if out is not None:
        as_folder(out)
    if strategy not in STRATEGIES:
        raise InvalidInputError(
            f"--strategy {strategy!r} is unknown; accepted: {', '.join(STRATEGIES)}"
        )
    if executor not in ("population", "sequential"):
        raise InvalidInputError(
            f"--executor {executor!r} is unknown; accepted: population, sequential"
        )
    # precision, and Bayes ≤ human (with a built-in's own levels), are checked by the job
    asked = {} if precision is None else {"precision": precision}  # else the mode's default
    trials = _check_trials(trials)
    seconds = _seconds(budget, trials)
    if y is not None:
        data, target = _labelled(data, y, target=target, impute=impute, call="tune")
    options, policy = _data_options(
        target=target,
        weight=weight,
        source=source,
        id=id,
        drop=drop,
        split_col=split_col,
        dev_source=dev_source,
        impute=impute,
        split_ratios=split_ratios,
        train_dev=train_dev,
    )
    human = None if human_error is None else parse_rate(human_error, name="--human-error")
    bayes = None if bayes_error is None else parse_rate(bayes_error, name="--bayes-error")
    goal_value = None if goal is None else parse_rate(goal, name="--goal")
    if strategy != "autopilot" and (init_from is not None or freeze is not None):
        raise InvalidInputError(
            f"--init-from and --freeze turn the autopilot's transfer-learning knob, but "
            f"--strategy is {strategy}: use --strategy autopilot (the default), or train one "
            "model with orthotune train --init-from"
        )
    if strategy != "autopilot" and tolerance is not None:
        raise InvalidInputError(
            f"--tolerance {tolerance} sets how large a gap the autopilot acts on, but --strategy "
            f"is {strategy}: a search ranks trials by --metric (its diagnosis uses the default "
            "1%); drop --tolerance, or use --strategy autopilot"
        )
    if strategy != "autopilot" and refit is not None:
        raise InvalidInputError(
            f"--refit/--no-refit is the autopilot's (it retrains the chosen configuration), but "
            f"--strategy is {strategy}: use --strategy autopilot (the default), or drop it"
        )
    if strategy != "autopilot":
        from orthotune.search import is_server_url, tune_search

        if not isinstance(data, str | Path):
            save = "df.to_parquet('data.parquet')" if hasattr(data, "columns") else "numpy.savez"
            raise InvalidInputError(
                f"--strategy {strategy} reads DATA from a file or builtin:NAME (its workers "
                f"read it again), not a {type(data).__name__} in memory: save it (e.g. "
                f"{save}) or use the autopilot"
            )
        with _run_folder(out) as folder:
            found = tune_search(
                str(data),
                load_options=options,
                split_policy=policy,
                out=folder,
                strategy=strategy,
                executor=executor,
                budget_s=seconds,
                trials=trials,
                metric=metric,
                constraints=_as_list(constraints),
                goal=goal_value,
                human_error=human,
                bayes_error=bayes,
                study_name=study,
                storage=storage,
                seed=seed,
                device=device,
                progress=on_trial,
                on_epoch=on_epoch,
                keep=keep,
                space=space,
                **asked,
            )

        # a worker of a shared study gets no report of its own (``report --study`` builds it)
        return _with_report(found) if write_report and not is_server_url(storage) else found
    from orthotune.search import resolve_metric

    given = [
        *(f"--constraint {c!r}" for c in constraints or ()),
        *([f"--metric {metric!r}"] if resolve_metric(metric) != "dev_accuracy" else []),
        *([f"--space {space!r}"] if space is not None else []),
    ]  # its own metric, however written (accuracy, dev-accuracy), is no refusal
    if given:
        raise InvalidInputError(
            f"{', '.join(given)}: --metric, --constraint and --space belong to the search "
            "strategies; the autopilot lowers the dev error (its metric is dev_accuracy): "
            "drop them or pick e.g. --strategy tpe"
        )
    from orthotune.autopilot import AutopilotSettings, tune_autopilot
    from orthotune.diagnose import DEFAULT_TOLERANCE

    settings = AutopilotSettings(
        budget_s=math.inf if seconds is None else seconds,
        trials=trials,
        human_error=human,
        bayes_error=bayes,
        tolerance=DEFAULT_TOLERANCE
        if tolerance is None
        else parse_rate(tolerance, name="--tolerance"),
        goal=goal_value,
        executor=executor,
        device=device,
        seed=seed,
        refit=refit is not False,
        **asked,
    )
    with _run_folder(out) as folder:
        summary = tune_autopilot(
            data,
            load_options=options,
            split_policy=policy,
            out=folder,
            settings=settings,
            study_name=study,
            storage=storage,
            on_step=on_step,
            on_epoch=on_epoch,
            keep=keep,
            init_from=init_from,
            freeze=freeze,
        )

    return _with_report(summary) if write_report else summary


def free_column(table: Any) -> str:
    """A column name ``table`` does not have, for labels (or weights) given beside it: ``y``,
    else ``y_0``, ``y_1``…"""
    names = set(map(str, table.columns))
    return next(t for t in ("y", *(f"y_{i}" for i in range(len(names) + 1))) if t not in names)


def _labelled(
    x: Any, y: Any, *, target: str | None, impute: str, call: str
) -> tuple[Any, str | None]:
    """``tune(X, y)``'s (and ``train``'s) data and target: a DataFrame ``X`` with the labels
    as a column of a free name (its other columns read as a table file's), an array ``X`` with
    ``y`` as a ``Dataset`` (``dataset_from_arrays``); one line when ``y`` cannot go with
    ``X``."""
    import numpy as np

    from orthotune._errors import InvalidInputError
    from orthotune._model import dense, labels_for
    from orthotune.data import DEFAULT_TARGETS, Dataset, as_table, dataset_from_arrays

    if isinstance(x, str | Path | Dataset):
        what = "a Dataset" if isinstance(x, Dataset) else f"the file {str(x)!r}"
        raise InvalidInputError(
            f"y is given, but DATA is {what}, which holds its own labels: y goes with features "
            "in memory (tune(X, y), X an array or a DataFrame); or leave y out (target= names "
            "a table's label column)"
        )
    if target is not None:
        raise InvalidInputError(
            f"target={target!r} names a label column, and y gives the labels too: give one of them"
        )
    x = dense(x)
    if not hasattr(x, "columns"):
        try:
            x = np.asarray(x)
        except ValueError:  # numpy's "inhomogeneous shape"
            raise InvalidInputError(
                "X holds rows of different lengths: give one row of the same length per "
                "example (an array [n, d], or a DataFrame)"
            ) from None
    labels = labels_for(y, len(x) if x.ndim else None)
    if hasattr(x, "columns"):
        if _reordered(getattr(y, "index", None), x.index):  # X shuffled after y was taken
            logger.warning(
                "y is a Series whose index holds X's in another order: labels are paired "
                "with X's rows by position, as scikit-learn does; to pair them by index, give "
                "y.loc[X.index]"
            )
        x = as_table(x, "X")  # its columns named as a file's (a MultiIndex's levels joined)
        named = [c for c in map(str, x.columns) if c.strip().lower() in DEFAULT_TARGETS]
        if named:  # the labels kept among the features would be learned from
            logger.warning(
                "X has a column named like a label (%s) and y gives the labels: it is read as "
                "a feature; if it holds the labels, drop it from X",
                ", ".join(map(repr, named)),
            )
        name = free_column(x)
        return x.assign(**{name: labels}), name
    return dataset_from_arrays(x, labels, name=f"{call}(X, y)", impute=impute), None


def _reordered(index: Any, other: Any) -> bool:
    """Whether the pandas index ``index`` holds ``other``'s labels in another order."""
    if index is None or index.equals(other):
        return False
    try:
        return bool(index.sort_values().equals(other.sort_values()))
    except TypeError:  # labels that do not sort (numbers and text): no order to compare
        return False


def _with_report(summary: Any) -> Any:
    """``summary`` (any job's) with its run folder's report.html rendered (``summary.report``)
    when the job kept a model. The report never loses a finished job: a rendering failure is
    logged and becomes a note."""
    from orthotune._rundir import RunDir
    from orthotune.report import render_report

    if getattr(summary, "chosen", "") is None:
        return summary
    try:
        summary.report = str(render_report(summary.run_dir))
    except Exception:
        logger.warning("report rendering failed", exc_info=True)
        summary.notes.append("report.html could not be rendered (see the log)")
        return summary
    run = RunDir.open(summary.run_dir)  # run.json's summary, written before, names it too
    record = run.read_run()
    if record.summary is not None:
        named = record.summary.model_copy(update={"report": summary.report})
        run.write_run(record.model_copy(update={"summary": named}))
    return summary


def _check_hooks(**hooks: Any) -> None:
    """Callbacks given to a call: each a function (``on_step=print``), ``callbacks`` a list of
    ``orthotune.train.Callback``; else one line, before any training."""
    from orthotune._errors import InvalidInputError

    for name, hook in hooks.items():
        if name == "callbacks":
            from orthotune.train import Callback

            odd = [c for c in hook or () if not isinstance(c, Callback)]
            if isinstance(hook, Callback | str) or odd:
                raise InvalidInputError(
                    f"callbacks={hook!r}: accepted: a list of orthotune.train.Callback "
                    "objects (e.g. [EarlyStopping(patience=5)])"
                )
        elif hook is not None and not callable(hook):
            raise InvalidInputError(
                f"{name}={hook!r} is not callable; accepted: a function of one argument, e.g. "
                f"{name}=print"
            )


def _check_seed(seed: Any) -> int:
    """A seed numpy's generators take, as an int: an integer 0 … 2³² − 1 (``numpy.int64``
    too); else one line saying so."""
    from orthotune._errors import InvalidInputError

    value = _integer(seed)
    if value is None or not 0 <= value < 2**32:
        raise InvalidInputError(
            f"seed {seed!r} is not accepted: give an integer from 0 to 4294967295; e.g. seed=0"
        )
    return value


def _check_input_bins(bins: Any, init_from: Any) -> None:
    """``--input-bins T``: 0 (none) or an integer ≥ 2, and not with ``--init-from`` (whose
    checkpoint fixes the inputs); else one line saying so."""
    from orthotune._errors import InvalidInputError

    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 0 or bins == 1:
        raise InvalidInputError(
            f"--input-bins {bins!r} is not accepted: give 0 (no bins) or the number of quantile "
            "bins per numeric feature, an integer >= 2; e.g. --input-bins 8"
        )
    if bins and init_from is not None:
        raise InvalidInputError(
            f"--input-bins {bins} with --init-from {init_from}: the checkpoint fixes the "
            "model's inputs; drop --input-bins (the checkpoint's own encoding is used)"
        )


def _binned_shape(dataset: Any, split: Any, bins: int) -> tuple[int, ...]:
    """The shape of one example as the model reads it: the data's, or with ``bins`` the vector
    widened by its bins (fitted on the training part, as ``prepare`` will)."""
    from orthotune._errors import InvalidInputError
    from orthotune.data import Normalizer

    shape = tuple(dataset.input_shape)
    if not bins:
        return shape
    if len(shape) != 1:
        raise InvalidInputError(
            f"--input-bins {bins}: {dataset.name} holds examples of shape {shape}, but bins "
            "apply to feature vectors only; drop --input-bins"
        )
    norm = Normalizer.fit(dataset.x[split.train], bins=bins)
    return (shape[0] + norm.bins.width,)


def _flag(key: str) -> str:
    """The CLI flag of a model setting (``kind`` is ``--arch``)."""
    return "--arch" if key == "kind" else "--" + key.replace("_", "-")


def train(
    data: str | pd.DataFrame | Any,
    y: Any = None,
    *,
    out: str | Path,
    config: str | Path | None = None,
    model: Mapping[str, Any] | None = None,
    training: Mapping[str, Any] | None = None,
    init_from: str | Path | None = None,
    freeze: str | int | None = None,
    device: str = "auto",
    precision: str | None = None,
    time_budget: str | float | None = None,
    name: str | None = None,
    seed: int = 0,
    target: str | None = None,
    weight: str | None = None,
    source: str | None = None,
    id: str | None = None,
    drop: Sequence[str] = (),
    split_col: str | None = None,
    dev_source: str | None = None,
    impute: str = "auto",
    split_ratios: str | None = None,
    train_dev: bool | None = None,
    callbacks: Sequence[Callback] = (),
    ensemble: int = 1,
    on_member: Callable[[int, Any], None] | None = None,
    input_bins: int = 0,
) -> TrainSummary:
    """``orthotune train``: one model on DATA (or a pandas DataFrame, read as a table file),
    kept in the new run folder ``out``.

    Settings come from ``config`` (a YAML/JSON file with ``model:`` and ``train:`` sections),
    then ``model`` (``ModelSpec`` fields: ``kind`` (mlp, cnn1d, cnn2d), ``hidden``, ``conv``,
    ``activation``, ``batch_norm``, ``dropout``, ``init``) and ``training`` (``TrainConfig``
    fields: ``optimizer``, ``lr``, ``l2``, ``schedule``, ``epochs``, ``batch_size`` (``"m"``
    for batch gradient descent), …), the later winning. The test error is measured once, at
    the end; the run folder gets the checkpoint, history, diagnosis and report. ``ensemble``
    K > 1 trains K seeds at once and keeps them as one model (``on_member(k, trained)`` as
    each finishes; ``callbacks`` then see nothing: members train as one population).
    ``input_bins`` T ≥ 2 gives feature vectors T quantile-bin components per numeric feature
    beside it (``data.Bins``, saved with the model; the autopilot's step 0 may choose 32).
    ``train(X, y, out=…)`` takes features and labels as ``tune(X, y)`` does.
    """
    seed = _check_seed(seed)
    from orthotune._errors import InvalidInputError
    from orthotune._rundir import RunDir, check_model_name
    from orthotune.data import check_train_part, make_split
    from orthotune.fit import check_ensemble_size, train_ensemble
    from orthotune.pipeline import Job, check_levels, load
    from orthotune.search import parse_duration
    from orthotune.train import (
        build_config,
        build_spec,
        check_batch_norm,
        check_precision,
        load_warm_start,
        parse_freeze,
        read_config_file,
        resolve_device,
        resolve_precision,
        train_history,
        train_on_split,
        train_summary,
    )

    RunDir.refuse_existing(out)
    if name is not None:
        check_model_name(name)  # before any training: the model is saved under it
    _check_hooks(callbacks=callbacks, on_member=on_member)
    check_ensemble_size(ensemble)
    _check_input_bins(input_bins, init_from)
    sections = read_config_file(config) if config is not None else {"model": {}, "train": {}}
    for what, given in (("model", model), ("training", training)):
        if given is not None and not isinstance(given, Mapping):
            example = "{'hidden': [64]}" if what == "model" else "{'epochs': 20}"
            raise InvalidInputError(
                f"{what}={given!r} is a {type(given).__name__}; accepted: a dict of settings, "
                f"e.g. {what}={example}"
            )
    given_model = {k: v for k, v in (model or {}).items() if v is not None}
    given_train = {k: v for k, v in (training or {}).items() if v is not None}
    model_settings = {**sections["model"], **given_model}
    train_settings = {**sections["train"], **given_train}
    # the one check of the precision (a flag or the config file's), before the data loads
    choice = check_precision(precision or train_settings.get("precision") or "auto")
    train_settings.pop("precision", None)  # set once resolved: the file's "auto" was refused
    size = train_settings.get("batch_size")
    if isinstance(size, str) and size.strip().lower() in ("m", "full", "batch"):
        train_settings["batch_size"] = None  # batch gradient descent: all m examples
    train_config = build_config(train_settings, from_flags=list(given_train))
    budget = None if time_budget is None else parse_duration(time_budget, name="--time-budget")
    torch_device = resolve_device(device)
    if y is not None:
        data, target = _labelled(data, y, target=target, impute=impute, call="train")
    options, policy = _data_options(
        target=target,
        weight=weight,
        source=source,
        id=id,
        drop=drop,
        split_col=split_col,
        dev_source=dev_source,
        impute=impute,
        split_ratios=split_ratios,
        train_dev=train_dev,
    )
    if init_from is not None and (given_model or sections["model"]):
        shown = ", ".join(map(_flag, given_model)) or f"the model: section of {config}"
        raise InvalidInputError(
            f"--init-from {init_from} takes the checkpoint's architecture, but {shown} sets "
            "one too; drop it (or train from scratch without --init-from)"
        )
    if freeze is not None and init_from is None:
        raise InvalidInputError(
            f"--freeze {freeze} keeps layers of initial weights, but no --init-from gives "
            "them; add --init-from RUN_DIR|MODEL_DIR or drop --freeze"
        )
    if freeze is not None:
        parse_freeze(freeze)  # a bad value is refused before the data loads
    dataset, data = load(data, options)
    check_levels(dataset, None, None)  # the data's own (a built-in's): train takes no flags
    split = make_split(dataset, seed=seed, policy=policy)
    check_train_part(split, dataset.name)  # before the run folder
    warm = None
    if init_from is not None:
        warm = load_warm_start(
            init_from,
            data_shape=tuple(dataset.input_shape),
            class_names=dataset.class_names,
            freeze=freeze,
        )
        spec = warm.spec
    else:
        spec = build_spec(
            model_settings,
            data_shape=_binned_shape(dataset, split, input_bins),
            num_classes=dataset.num_classes,
            from_flags=list(given_model),
        )
    check_batch_norm(spec.batch_norm, train_config.batch_size)
    check_ensemble_size(ensemble, spec)
    chosen = resolve_precision(choice, spec, torch_device)
    train_config = train_config.model_copy(update={"precision": chosen})
    model_name = name or spec.kind

    job = Job.start(
        RunDir.create(out),
        command="train",
        dataset=dataset,
        data=data,
        load_options=options,
        split=split,
        seed=seed,
        config={
            "model": spec.model_dump(mode="json"),
            "train": train_config.model_dump(mode="json"),
            "data_options": options.model_dump(mode="json"),
            "device": device,
            "init_from": None if warm is None else warm.record.model_dump(mode="json"),
            "ensemble": ensemble,
            "input_bins": input_bins,
        },
    )
    try:
        if ensemble > 1:
            trained = train_ensemble(
                dataset,
                split,
                spec,
                train_config,
                size=ensemble,
                seed=seed,
                device=device,
                time_budget_s=budget,
                init=warm,
                on_member=on_member,
                bins=input_bins,
            )
        else:
            trained = train_on_split(
                dataset,
                split,
                spec,
                train_config,
                seed=seed,
                device=device,
                callbacks=list(callbacks),
                time_budget_s=budget,
                init=warm,
                bins=input_bins,
            )
    except InvalidInputError:  # refused while training, before a model was kept: no half-made
        # run is left to refuse the same --out again (a new user's split without train rows
        # did so before ``check_train_part``)
        job.run.abandon()
        raise
    done = job.finish(trained.model, trained.prepared, seed=seed)
    manifest = job.manifest(
        model_name,
        spec=trained.spec,
        config=trained.config,
        normalizer=trained.normalizer,
        errors={part: e for part, e in trained.errors.items() if part != "test"},
        test=done.test_metrics,
        init_from=trained.init_from,
        temperature=done.temperature,
    )
    model_dir = job.save_model(trained.model, manifest, train_history(trained))
    job.run.set_best(model_name)
    summary = train_summary(
        trained, dataset, name=model_name, data=job.data, run_dir=job.run.path, model_dir=model_dir
    ).model_copy(
        update={
            "latency_ms": done.latency_ms,
            "filled": job.record.filled,
            **done.calibration_fields(),
        }
    )
    job.close(summary)
    _warn_diverged(summary.losses.get("train"), dataset.num_classes, train_config.lr)
    diagnosis = _train_diagnosis(summary)
    if diagnosis is not None:
        job.run.write_diagnosis(diagnosis)
    return _with_report(summary)


def _warn_diverged(loss: float | None, classes: int, lr: float) -> None:
    """A warning when the final training loss is not finite (None) or far above a uniform
    guess's ln K: the steps were too large and the weights blew up (``--lr 1e6`` ended with a
    loss of 1e21, exit 0, with nothing said)."""
    guess = math.log(classes)
    if loss is None or loss > 10 * guess:
        shown = "not finite" if loss is None else f"{loss:.3g}"
        logger.warning(
            "the training loss ended %s, where a uniform guess over the %d classes scores "
            "%.2f: training diverged; lower the learning rate (it was %g)",
            shown,
            classes,
            guess,
            lr,
        )


def _train_diagnosis(summary: Any) -> Any:
    """The bias / variance / mismatch diagnosis of the trained model (test included: it was
    measured once, at the end), or None without train and dev errors."""
    from orthotune.diagnose import ErrorLevels, Level
    from orthotune.diagnose import diagnose as run_diagnosis

    def level(part: str) -> Level | None:
        error, n = summary.errors.get(part), summary.sizes.get(part, 0)
        return None if error is None or n == 0 else Level(error=error, n=n)

    if level("train") is None or level("dev") is None:
        return None
    return run_diagnosis(
        ErrorLevels(
            human_error=summary.human_error,
            bayes_error=summary.bayes_error,
            train=level("train"),
            train_dev=level("train-dev"),
            dev=level("dev"),
            test=level("test"),
        )
    )


def evaluate(
    predictions: str | Path | Any,
    *,
    human_error: str | float | None = None,
    bayes_error: str | float | None = None,
    beta: float = 1.0,
    positive_class: Any = None,
    tolerance: str | float = "1%",
) -> Evaluation:
    """``orthotune evaluate``: per-split scores of a predictions table (a CSV/Parquet path, a
    pandas DataFrame or ``{column: values}``; ``y_true`` with ``y_pred`` or ``p_<class>``
    columns, optional ``split``, ``source``, ``id``) and, with train and dev rows, a diagnosis."""
    from orthotune._tables import read_table
    from orthotune.diagnose import evaluate_predictions

    table = (
        read_table(predictions, what="predictions file")
        if isinstance(predictions, str | Path)
        else predictions
    )
    return evaluate_predictions(
        table,
        human_error=human_error,
        bayes_error=bayes_error,
        beta=beta,
        positive_class=positive_class,
        tolerance=tolerance,
    )


def diagnose(
    *,
    human_error: str | float | None,
    train_error: str | float,
    dev_error: str | float,
    train_dev_error: str | float | None = None,
    test_error: str | float | None = None,
    bayes_error: str | float | None = None,
    train_size: int | None = None,
    train_dev_size: int | None = None,
    dev_size: int | None = None,
    test_size: int | None = None,
    tolerance: str | float = "1%",
) -> Diagnosis:
    """``orthotune diagnose``: avoidable bias, variance, data mismatch and dev overfitting
    from error levels (rates as fractions or ``"3.5%"``; set sizes give 95 % intervals), the
    verdict and the knobs to turn. The lecture's Model A::

        orthotune.diagnose(human_error="0.7%", train_error="3.5%", dev_error="7.8%")
    """
    from orthotune._errors import InvalidInputError
    from orthotune.diagnose import ErrorLevels
    from orthotune.diagnose import diagnose as run_diagnosis

    for flag, rate in (("--train-error", train_error), ("--dev-error", dev_error)):
        if rate is None:  # the two levels every gap is measured from
            raise InvalidInputError(
                f"{flag} is missing: the diagnosis needs the train and dev errors; give both, "
                "e.g. train_error='3.5%', dev_error='7.8%'"
            )
    levels = ErrorLevels.from_rates(
        human_error=human_error,
        bayes_error=bayes_error,
        train_error=train_error,
        train_dev_error=train_dev_error,
        dev_error=dev_error,
        test_error=test_error,
        train_size=train_size,
        train_dev_size=train_dev_size,
        dev_size=dev_size,
        test_size=test_size,
    )
    return run_diagnosis(levels, tolerance=tolerance)


def compare(
    table: str | Path | Mapping[str, Sequence[Any]] | Any,
    *,
    metric: str | None = None,
    constraints: Sequence[str] = (),
    beta: float = 1.0,
) -> Comparison:
    """``orthotune compare``: choose among classifiers from a table of their scores (a
    CSV/Parquet path, ``{column: values}`` or a pandas DataFrame; one row per classifier):
    the best on ``metric`` among the rows meeting every satisficing constraint
    (``"latency_ms<100"``), and the Pareto front."""
    from orthotune._errors import InvalidInputError
    from orthotune._tables import read_columns
    from orthotune.select import Constraint, compare_table

    if isinstance(table, str | Path):
        columns = read_columns(table, what="table")
    elif isinstance(table, Mapping):
        columns = {str(k): list(v) for k, v in table.items()}
    elif hasattr(table, "columns"):  # a DataFrame
        columns = {str(c): table[c].tolist() for c in table.columns}
    else:
        raise InvalidInputError(
            f"table is a {type(table).__name__}; accepted: a CSV or Parquet path, "
            "{column: values} or a pandas DataFrame, one row per classifier"
        )
    given = _as_list(constraints)
    odd = [c for c in given if not isinstance(c, str | Constraint)]
    if odd:
        raise InvalidInputError(
            f"constraints={constraints!r}: accepted: constraint texts such as "
            "['latency_ms<100', 'recall>=0.9'] (or one such text)"
        )
    return compare_table(columns, metric=metric, constraints=given, beta=beta)


def errors(
    target: str | Path,
    *,
    tags: str | Path | None = None,
    split: str | None = None,
    saliency: bool = False,
    mask: str | Path | None = None,
) -> ErrorReport:
    """``orthotune errors``: error analysis of a run folder (its predictions file; without one,
    its chosen model's predictions on the run's data) or of a predictions file: which classes
    are wrong and what fixing each would gain, the top confusions, the misclassified examples,
    the lecture's tag table (``tags``: a CSV of id and tags), errors by split and source, class
    balance. A run folder keeps the parts under ``analysis/``. ``saliency`` (a run folder):
    where the model looks on its mistakes (integrated gradients; ``mask``: an .npz whose
    ``mask`` marks the object), saved as ``analysis/saliency.json`` and ``.svg`` and drawn in
    the re-rendered report."""
    from orthotune._errors import InvalidInputError
    from orthotune.analysis import error_report, read_predictions, read_tags, save_result

    paths = (("target", target, "a run folder or a predictions file"), ("tags", tags, "a CSV"))
    for name, value, what in paths:
        if value is not None and not isinstance(value, str | Path):  # (a frame's text as a path)
            raise InvalidInputError(
                f"{name} is a {type(value).__name__}, not a path; accepted: the path of {what}"
            )
    target = str(target)
    attributions = None
    if saliency or mask is not None:  # first: a bad mask is refused before anything is saved
        attributions = _saliency(target, mask=mask, split=split or "dev")
    preds = read_predictions(target)
    tag_map = None if tags is None else read_tags(str(tags), known_ids=preds.ids)
    report = error_report(preds, source=target, tags=tag_map, split=split)
    if Path(target).is_dir():
        report = report.model_copy(
            update={
                "notes": _analysis_notes(Path(target)),
                "mismatch": _one_models_levels(Path(target), report.mismatch),
            }
        )
    if Path(target).is_dir():  # one file per part: the report renders each as its own table
        folder = Path(target) / "analysis"
        save_result(report.errors, folder, "errors")
        save_result(report.imbalance, folder, "imbalance")
        if report.mismatch is not None:
            save_result(report.mismatch, folder, "mismatch")
    if attributions is not None:
        report = report.model_copy(update={"saliency": attributions})
        _save_saliency(Path(target), attributions)
    return report


def _one_models_levels(run_dir: Path, mismatch: Any) -> Any:
    """A refitted run's train, train-dev and dev errors by split, as tune's diagnosis measured
    them: one model's, the configuration's before its refit. Read from the rows, the train and
    train-dev errors were the refitted model's and the dev error the configuration's, and the
    gaps between them mixed two models (a sweep: data mismatch 34.47 % in ``errors``, 34.17 %
    in diagnosis.json). The dev sources stay the rows' (the dev rows are that configuration's)."""
    from orthotune._errors import InvalidInputError
    from orthotune._rundir import RunDir

    if mismatch is None:
        return None
    try:
        log, diagnosis = RunDir(run_dir).read_decisions(), RunDir(run_dir).read_diagnosis()
    except InvalidInputError:
        return mismatch
    if log is None or not log.refitted or diagnosis is None:
        return mismatch
    levels = diagnosis.levels
    train = levels.train.error
    train_dev = None if levels.train_dev is None else levels.train_dev.error
    dev = levels.dev.error
    return mismatch.model_copy(
        update={
            "train_error": train,
            "train_dev_error": train_dev,
            "dev_error": dev,
            "variance": None if None in (train, train_dev) else train_dev - train,
            "data_mismatch": None if None in (train_dev, dev) else dev - train_dev,
        }
    )


def _analysis_notes(run_dir: Path) -> list[str]:
    """Why a run's analysis rows may not reproduce the figures tune printed: its job did not
    finish (run.json without a finish time), its chosen model
    refitted on train + dev (its train and train-dev rows are the refitted model's; tune's
    diagnosis measured the configuration before the refit), or its dev error measured out of
    fold over train + dev (the rows here: the dev part's alone)."""
    from orthotune._errors import InvalidInputError
    from orthotune._rundir import RunDir

    notes = []
    try:  # as the report says it: a killed job's run was analysed as if it had finished
        record = RunDir(run_dir).read_run() if (run_dir / "run.json").is_file() else None
    except InvalidInputError:
        record = None
    if record is not None and not record.finished:
        notes.append(
            "the job that wrote this run did not finish (killed, or still running): these rows "
            "are its saved model's, which may not be the model it would have chosen"
        )
    try:
        log = RunDir(run_dir).read_decisions()
    except InvalidInputError:
        return notes
    if log is not None and log.refitted:
        notes.append(
            "the chosen model was refitted on train + dev: the train and train-dev rows here "
            "are its predictions, while tune's diagnosis measured the configuration before its "
            "refit (the dev rows here are that configuration's, as the diagnosis's); the errors "
            "by split (train, train-dev, dev, data mismatch) are the diagnosis's, one model's"
        )
    if log is not None and "fold" in (log.validation or ""):
        notes.append(
            f"tune's errors are over train + dev ({log.validation}): its dev error out of "
            "fold, its train error the kept model's on all of them; the train and dev rows "
            "here are each part's alone, so their errors differ from those"
        )
    return notes


def _saliency(target: str, *, mask: str | Path | None, split: str) -> Any:
    """The ``SaliencyReport`` of a run folder (one-line refusal for anything else)."""
    from orthotune._errors import InvalidInputError
    from orthotune.analysis import run_saliency

    if not (Path(target) / "run.json").is_file():
        raise InvalidInputError(
            f"--saliency needs a run folder (RUN_DIR with run.json and its model), not "
            f"{target}; give the --out folder of orthotune train or tune"
        )
    return run_saliency(target, mask_path=None if mask is None else Path(mask), split=split)


def _save_saliency(run_dir: Path, attributions: Any) -> None:
    """analysis/saliency.json, analysis/saliency.svg (the drawings) and the re-rendered report."""
    import base64

    from orthotune._io import atomic_write_bytes
    from orthotune.analysis import save_result
    from orthotune.report import render_report, saliency_figure

    folder = run_dir / "analysis"
    save_result(attributions, folder, "saliency")
    if attributions.examples:
        uri = saliency_figure(attributions)
        atomic_write_bytes(folder / "saliency.svg", base64.b64decode(uri.split(",", 1)[1]))
    render_report(run_dir)


def clean(
    data: str | pd.DataFrame,
    *,
    method: str = "iterative",
    apply: str = "none",
    out: str | Path | None = None,
    seed: int = 0,
    target: str | None = None,
    weight: str | None = None,
    source: str | None = None,
    id: str | None = None,
    drop: Sequence[str] = (),
    split_col: str | None = None,
    impute: str = "auto",
) -> CleaningOutcome:
    """``orthotune clean``: examples of DATA (a file, ``builtin:NAME`` or a pandas DataFrame)
    whose label looks wrong, found by ``method`` (``iterative``, the default: the best on the
    development sets with planted noise; ``confident``; ``cluster``). With ``out`` (a new
    folder) the findings and an audit log are written there, and ``apply="remove"`` or
    ``"relabel"`` writes a cleaned copy of the file (not of a DataFrame: its suspects' ids are
    its row positions); the input is never modified. It draws no split: the rows a
    ``split_col`` marks test are left out of judging, every other labelled row is judged."""
    seed = _check_seed(seed)
    from orthotune._errors import InvalidInputError
    from orthotune.analysis import METHODS, apply_cleaning, check_out_dir, find_issues
    from orthotune.data import load_dataset

    if method.strip().lower() not in METHODS:
        raise InvalidInputError(
            f"--method {method!r} is not accepted; accepted: {', '.join(METHODS)}"
        )

    data_file = str(data) if isinstance(data, str | Path) else None  # None: a DataFrame
    check_out_dir(data_file, out, apply=apply)  # refuse before any training
    options, _ = _data_options(
        target=target,
        weight=weight,
        source=source,
        id=id,
        drop=drop,
        split_col=split_col,
        dev_source=None,  # clean draws no dev or test set: it judged nothing differently
        impute=impute,
        split_ratios=None,
        train_dev=None,
    )
    dataset = load_dataset(data, options)
    issues = find_issues(dataset, method=method, seed=seed)
    return apply_cleaning(dataset, issues, data=data_file, apply=apply, out=out, target=target)


def learning_curve(
    data: str | pd.DataFrame,
    *,
    from_run: str | Path | None = None,
    fractions: str | Sequence[float] = "1/8,1/4,1/2,3/4,1",
    epochs: int | None = None,
    device: str = "auto",
    out: str | Path | None = None,
    seed: int = 0,
    target: str | None = None,
    weight: str | None = None,
    source: str | None = None,
    id: str | None = None,
    drop: Sequence[str] = (),
    split_col: str | None = None,
    dev_source: str | None = None,
    impute: str = "auto",
    split_ratios: str | None = None,
) -> LearningCurve:
    """``orthotune learning-curve``: would more data help? The configuration (the data
    shape's starting model, or the chosen model of ``from_run``, a run or model folder) trained
    at once on nested ``fractions`` of DATA's training set (``"1/8,1/4,1/2,1"`` or numbers);
    the dev error of each, a power law through them, and what doubling the data would give.
    DATA may be a pandas DataFrame. ``out``: a new run folder for the result (run.json,
    split.json, analysis/learning_curve.json, and a DataFrame as data.parquet), which
    ``orthotune report`` draws."""
    seed = _check_seed(seed)
    from orthotune._errors import InvalidInputError
    from orthotune._records import JobSummary
    from orthotune._rundir import RunDir
    from orthotune.analysis import learning_curve as measure
    from orthotune.analysis import save_result
    from orthotune.data import check_dev_part, load_dataset, make_split, prepare
    from orthotune.pipeline import Job

    wanted = parse_fractions(
        fractions if isinstance(fractions, str) else ",".join(map(str, _as_list(fractions)))
    )
    if out is not None:
        RunDir.refuse_existing(out)  # before any training
    options, policy = _data_options(
        target=target,
        weight=weight,
        source=source,
        id=id,
        drop=drop,
        split_col=split_col,
        dev_source=dev_source,
        impute=impute,
        split_ratios=split_ratios,
        train_dev=None,
    )
    if isinstance(data, str | Path):
        data = str(data)
    ds = load_dataset(data, options)
    spec, config, where, bins, points = _curve_configuration(from_run, ds, epochs)
    split = make_split(ds, seed=seed, policy=policy)
    check_dev_part(split, ds.name, "a learning curve measures the dev error")
    # a binned model's inputs: its bins (and marked values), fitted on train
    prepared = prepare(ds, split, bins=bins, points=points)
    if bins and tuple(prepared.train.x.shape[1:]) != tuple(spec.input_shape):
        marked = " and their shared values marked" if points else ""
        raise InvalidInputError(
            f"--from {from_run}: its model takes {spec.input_shape[0]} inputs, this data's "
            f"features beside {bins} quantile bins each{marked} are "
            f"{prepared.train.x.shape[1]}: give a model of this data"
        )
    curve = measure(
        prepared.train, prepared.dev, spec, config, fractions=wanted, seed=seed, device=device
    )
    curve = _curve_said(curve, where, from_start=from_run is None)
    if out is not None:  # a run record like the other jobs' (data's sha256 and file, versions)
        job = Job.start(
            RunDir.create(out),
            command="learning-curve",
            dataset=ds,
            data=data,
            load_options=options,
            split=split,
            seed=seed,
            config={"fractions": list(wanted), "from": None if from_run is None else str(from_run)},
        )
        save_result(curve, job.run.analysis_dir, "learning_curve")
        job.close(JobSummary(sentence=curve.sentence))
    return curve


def _as_list(value: Any) -> list:
    """One value or several: a number (or any non-iterable) is a list of one."""
    return list(value) if hasattr(value, "__iter__") and not isinstance(value, str) else [value]


def parse_fractions(text: str) -> tuple[float, ...]:
    """``1/8,1/4,0.5,1`` → (0.125, 0.25, 0.5, 1.0); one clear line for anything else."""
    from fractions import Fraction

    from orthotune._errors import InvalidInputError

    try:
        values = tuple(float(Fraction(p.strip())) for p in text.split(",") if p.strip())
    except (ValueError, ZeroDivisionError):
        raise InvalidInputError(
            f"--fractions {text!r} is not a list of fractions; accepted: numbers or a/b in "
            "(0, 1], e.g. --fractions 1/8,1/4,1/2,1"
        ) from None
    return values


def _curve_said(curve: Any, where: str, *, from_start: bool) -> Any:
    """The curve with the configuration's origin named and, for the starting model's flat
    curve of an underfitting model (``analysis``' sentence ends with its bias clause), where
    to measure a curve that speaks of the data."""
    said = {"configuration": f"{where}: {curve.configuration}"}
    if from_start and curve.sentence.endswith("(a bigger network or longer training does)"):
        said["sentence"] = (
            f"{curve.sentence}: tune a model of this data (orthotune tune) and measure the "
            "curve of its run (--from RUN)"
        )
    return curve.model_copy(update=said)


def _curve_configuration(
    source: str | Path | None, ds: Any, epochs: int | None
) -> tuple[Any, Any, str, int, bool]:
    """The learning curve's configuration: (spec, config, where it came from, the quantile bins
    per feature its model reads: 0, or the count its saved bins were fitted with; whether they
    mark shared values, ``data.Bins``)."""
    from orthotune._errors import InvalidInputError
    from orthotune._rundir import resolve_model_dir
    from orthotune.fit import baseline
    from orthotune.train import read_manifest

    if source is None:
        spec, config = baseline(ds.input_shape, ds.num_classes)
        where = "the data shape's starting model"
    else:
        manifest = read_manifest(resolve_model_dir(source))
        if manifest.train_config is None:
            raise InvalidInputError(
                f"--from {source}: the checkpoint records no training configuration; give a "
                "run folder or model folder written by orthotune train or tune"
            )
        spec, config = manifest.spec, manifest.train_config
        # a model that reads quantile bins beside its features (the autopilot's step 0 keeps
        # one where they win) was refused as "a model of other data"
        saved = (manifest.normalization or {}).get("bins", {})
        bins = max((len(e) - 1 for e in saved.get("edges", [])), default=0)
        points = any(len(p) for p in saved.get("points", []))
        if not bins and tuple(spec.input_shape) != tuple(ds.input_shape):
            raise InvalidInputError(
                f"--from {source}: its model takes inputs of shape {tuple(spec.input_shape)}, "
                f"the data's examples are {tuple(ds.input_shape)}: give a model of this data"
            )
        if spec.num_classes != ds.num_classes:
            raise InvalidInputError(
                f"--from {source}: its model has {spec.num_classes} classes, the data "
                f"{ds.num_classes}: give a model of this data"
            )
        where = f"the configuration of {source}"
    if epochs is not None:
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise InvalidInputError(f"--epochs {epochs!r} is not accepted: give an integer ≥ 1")
        config = config.model_copy(update={"epochs": epochs})
    if source is None:
        return spec, config, where, 0, False
    return spec, config, where, bins, points


def load(path: str | Path) -> Model:
    """A saved model: ``RUN_DIR`` (its chosen model) or ``MODEL_DIR`` → a ``Model`` with
    ``predict``, ``predict_proba`` and ``classes_`` (safetensors weights, hash verified)."""
    from orthotune._model import Model

    return Model.load(path)
