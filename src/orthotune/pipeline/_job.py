"""``Job``: the steps every job takes around its training, each written once.

    DATA ──load──▶ Dataset ──levels──▶ human / Bayes error (a built-in's own when not given),
                                       checked: Bayes ≤ human
         ──split──▶ Job.start: run.json (command, data, seed, config, what was filled, library
                    versions) and split.json in a new run folder — or Job.resume (a search)
         … the job trains, and keeps models with Job.save_model (checkpoint + manifest, history)
         ──Job.finish──▶ the chosen model: test scores once (test_scores.json), temperature
                    scaling on dev (calibration.json), latency, parameters
         ──Job.close──▶ run.json gets ``finished`` and the job's summary

The jobs (``orthotune train`` in the API, ``tune``'s autopilot in ``autopilot``, ``tune``'s
search strategies in ``search``) stay beside the loops they drive, whose private parts this layer
must not see; what they share goes through here, so their run folders differ only where the jobs
do (the config recorded, the models kept, decisions.json or study.db).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel

from orthotune._errors import InvalidInputError
from orthotune._records import History, JobSummary, data_sha256
from orthotune._rundir import RunDir, RunRecord

__all__ = ["DATA_FILE", "FLAGS", "Finished", "Job", "check_levels", "load", "test_metrics"]

FLAGS = ("--human-error", "--bayes-error")  # how a refusal names the two levels
# a DataFrame given as DATA, kept in the run folder: predict, errors and the report read the
# run's data again by the path run.json records (a Dataset in memory has no such copy)
DATA_FILE = "data.parquet"


def load(data: Any, options: Any = None) -> tuple[Any, Any]:
    """DATA (a file or ``builtin:NAME``; ``options``: ``LoadOptions``), a pandas DataFrame or a
    ``Dataset`` in memory → the dataset and the DATA its run records: the path or name as
    given, a ``Dataset``'s name, or the DataFrame itself, which ``Job.start`` saves into the
    run folder (``DATA_FILE``) and records by that path."""
    from orthotune.data import Dataset, load_dataset

    if isinstance(data, Dataset):  # tune(X, y) of an array X, or dataset_from_arrays's
        given = [] if options is None else options.column_flags_given()
        if given:  # they name columns, which arrays have none of: they would go unapplied
            named = ", ".join(f"{f} ({f[2:].replace('-', '_')}=)" for f in given)
            raise InvalidInputError(
                f"{data.name}: {named} names a column, and arrays have none: give "
                "X as a pandas DataFrame with that column, or the per-example arrays to "
                "orthotune.data.dataset_from_arrays(x, y, weights=, ids=, source=, split=)"
            )
        return data, data.name
    dataset = load_dataset(data, options)
    if isinstance(data, str | Path):  # "~/data.csv" (the API, a quoted argument) as its path
        given = str(data).strip()
        return dataset, str(Path(given).expanduser()) if given.startswith("~") else str(data)
    return dataset, data


def check_levels(
    dataset: Any, human_error: float | None, bayes_error: float | None
) -> tuple[float | None, float | None]:
    """The levels a run uses — the ones given, else the data's own (a built-in carries them) —
    checked once (Bayes ≤ human, ``diagnose.check_bayes_error``)."""
    from orthotune.diagnose import check_bayes_error

    ref = dataset.reference
    human = ref.human_error if human_error is None else human_error
    bayes = ref.bayes_error if bayes_error is None else bayes_error
    check_bayes_error(human, bayes, names=FLAGS)
    return human, bayes


def test_metrics(scores: Any) -> dict[str, float]:
    """The headline numbers of a ``ClassificationReport`` on test (what summaries and
    manifests carry). The F1 averages are over the classes that occur on test, as true or
    predicted labels (scikit-learn's ``f1_score(average="macro")`` without ``labels``): a class
    too rare to reach test (``data.make_split`` keeps it in train) would count as an F1 of 0.
    test_scores.json keeps every class."""
    import numpy as np

    from orthotune.metrics import class_average, harmonic_mean

    cm = np.asarray(scores.confusion)
    f1 = np.asarray(scores.scores("fbeta"))[(cm.sum(0) + cm.sum(1)) > 0]
    return {
        "accuracy": scores.accuracy,
        "error": scores.error,
        "macro_f1": class_average(f1),
        "harmonic_f1": harmonic_mean(f1),
    }


@dataclass
class Finished:
    """What ``Job.finish`` measured of the chosen model."""

    test_metrics: dict[str, float] = field(default_factory=dict)  # empty without a test part
    calibration: Any = None  # TemperatureScaling; None without a dev part
    latency_ms: float | None = None  # per example, batch of 1, median (an ensemble: all members)
    parameters: int = 0

    @property
    def temperature(self) -> float:
        return 1.0 if self.calibration is None else self.calibration.temperature

    def calibration_fields(self) -> dict[str, Any]:
        """The summary fields every job reports of temperature scaling."""
        c = self.calibration
        if c is None:
            return {}
        return {
            "temperature": c.temperature,
            "ece_before": c.ece_before,
            "ece_after": c.ece_after,
            "calibration": c.message,
        }


@dataclass
class Job:
    """A run folder opened on loaded, split data (``start`` or ``resume``)."""

    run: RunDir
    record: RunRecord
    dataset: Any  # orthotune.data.Dataset
    data: str  # DATA as given (a Dataset in memory: its name)
    load_options: Any  # orthotune.data.LoadOptions or None
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def start(
        cls,
        run: RunDir,
        *,
        command: str,
        dataset: Any,
        data: Any,
        load_options: Any,
        split: Any,
        seed: int,
        config: Mapping[str, Any],
        started: float | None = None,
    ) -> Job:
        """Write run.json and split.json into the new run folder ``run`` (and ``data``, when
        it is a DataFrame, as ``DATA_FILE``: run.json then names that file)."""
        from orthotune.data import describe_filled, describe_left_out, frame_file
        from orthotune.train import library_versions, machine_facts

        if not isinstance(data, str):
            data = str(frame_file(data, run.path / DATA_FILE))
        digest = data_sha256(data)
        since = {}  # "started" when the budget's clock started (the command's start, imports
        # included: orthotune._clock), so that Started → Finished spans the report's "Time"
        if started is not None:
            at = time.time() - (time.monotonic() - started)
            since["started"] = datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
        record = RunRecord(
            **since,
            command=command,
            data=data,
            data_sha256=digest,
            data_file=str(Path(data).expanduser().resolve()) if digest else "",
            seed=seed,
            filled=describe_filled(dataset),
            left_out=describe_left_out(dataset),
            config=dict(config),
            versions=library_versions(),
            machine=machine_facts(len(dataset.input_shape)),
        )
        run.write_run(record)
        run.write_split(split.to_json(dataset))
        run.release()  # run.json says whose folder it is now (``RunDir.create`` claimed it)
        job = cls(run, record, dataset, data, load_options)
        if started is not None:
            job.started = started
        return job

    @classmethod
    def resume(
        cls,
        run: RunDir,
        *,
        dataset: Any,
        data: str,
        load_options: Any,
        started: float,
        config: Mapping[str, Any],
    ) -> Job:
        """The job of a run folder that already holds run.json and split.json (a search
        resumed with the same ``--study``); run.json's ``resumes`` gains this run's argv and
        ``config`` (its options may differ from the first run's)."""
        from orthotune._records import Resumed

        record = run.read_run()
        record.resumes.append(Resumed(config=dict(config)))
        return cls(run, record, dataset, data, load_options, started)

    # ------------------------------------------------------------------------- models
    def manifest(
        self,
        name: str,
        *,
        spec: Any,
        config: Any,
        normalizer: Any,
        errors: Mapping[str, float | None] = (),
        test: Mapping[str, float] = (),
        init_from: Any = None,
        temperature: float = 1.0,
        learned_from: tuple[str, ...] = ("train",),
    ) -> Any:
        """A checkpoint's manifest: the model, its training, how to read new rows (data,
        options, normalization, encoding) and its metrics (``PART_error``, ``test_NAME``)."""
        from orthotune.train import Manifest

        ds = self.dataset
        options = self.load_options
        return Manifest(
            name=name,
            spec=spec,
            class_names=tuple(ds.class_names),
            text_labels=ds.text_labels,
            feature_names=tuple(ds.feature_names),
            data=self.data,  # predict and errors --saliency find the run's split by it
            data_shape=tuple(ds.input_shape),
            data_options=None if options is None else options.model_dump(mode="json"),
            normalization=normalizer.state_dict(),
            encoding=None if ds.encoding is None else ds.encoding.model_dump(mode="json"),
            train_config=config,
            init_from=init_from,
            metrics={
                **{f"{k}_error": v for k, v in dict(errors).items()},
                **{f"test_{k}": v for k, v in dict(test).items()},
            },
            temperature=temperature,
            learned_from=learned_from,
        )

    def save_model(
        self, model: torch.nn.Module, manifest: Any, history: History | Sequence[History]
    ) -> Path:
        """models/NAME (checkpoint) and history/NAME.json — an ensemble's members each
        history/NAME.member-K.json when ``history`` is one per member."""
        from orthotune.train import save_checkpoint

        name = manifest.name
        folder = self.run.model_dir(name)
        self.run.check_in_place()
        save_checkpoint(folder, model, manifest)
        if isinstance(history, History):
            self.run.write_history(name, history)
        else:
            for k, member in enumerate(history, start=1):
                self.run.write_history(f"{name}.member-{k}", member)
        return folder

    def finish(
        self,
        model: torch.nn.Module,
        prepared: Any,
        *,
        seed: int,
        out_of_fold: tuple[torch.Tensor, torch.Tensor] | None = None,
        calibrate: bool = True,
    ) -> Finished:
        """Measure the chosen model once: its test scores (written), temperature scaling on dev
        (written; cross-fitted, so the ECE after is on examples the temperature was not fitted
        on — on ``out_of_fold`` logits and labels when the model learned from dev: k-fold, or a
        refit on train + dev; none when not ``calibrate``), its latency and parameters."""
        from orthotune.metrics import calibrate_temperature, measure_latency
        from orthotune.models import count_parameters
        from orthotune.train import predict_logits, test_scores

        done = Finished(parameters=count_parameters(model))
        if prepared.test is not None and len(prepared.test.y):
            scores = test_scores(model, prepared)
            self.run.write_test_scores(scores)
            done.test_metrics = test_metrics(scores)
        if calibrate and out_of_fold is not None:
            logits, y = out_of_fold
            pooled = prepared.dev is None or len(y) != len(prepared.dev.y)  # k-fold: train + dev
            examples = "train + dev examples" if pooled else "dev examples"
            fitted = calibrate_temperature(logits.numpy(), y.numpy(), seed=seed, examples=examples)
            where = (
                "logits of models that did not learn from those examples (the fold models' "
                "out-of-fold logits, or the configuration's before its refit on train + dev)"
            )
            done.calibration = fitted.model_copy(
                update={"message": f"{fitted.message}; fitted on {where}"}
            )
        elif calibrate and prepared.dev is not None and len(prepared.dev.y):
            logits = predict_logits(model, prepared.dev.x)
            done.calibration = calibrate_temperature(
                logits.numpy(), prepared.dev.y.numpy(), seed=seed
            )
        if done.calibration is not None:
            self.run.write_calibration(done.calibration)
        example = next(p.x[0] for p in (prepared.dev, prepared.train) if p is not None and len(p.x))
        done.latency_ms = measure_latency(model, example, warmup=2, repeats=10).per_example_ms
        return done

    def close(self, summary: BaseModel, *, exclude: set[str] | None = None) -> None:
        """run.json gets the time the job finished and its summary (``exclude``: fields kept
        in their own files, such as the diagnosis)."""
        self.record = self.record.model_copy(
            update={
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "summary": JobSummary.model_validate(
                    summary.model_dump(mode="json", exclude=exclude)
                ),
            }
        )
        self.run.write_run(self.record)

    def seconds(self) -> float:
        return time.monotonic() - self.started
