"""A small but realistic run folder, written the way train / tune / autopilot / errors write it.

The records follow DESIGN.md's run folder and are written through ``RunDir``: run.json, split.json,
a real Optuna SQLite study with timed trials (intermediate values, params, satisficing
attributes), a real checkpoint models/<name>/ with ``models/best``, history/<name>.json,
test_scores.json, diagnosis.json, decisions.json, calibration.json; and analysis/ files.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from orthotune._records import (
    DecisionLog,
    EpochRecord,
    History,
    RunRecord,
    Step,
    StopReason,
    VariantScore,
)
from orthotune._rundir import RunDir
from orthotune.diagnose import Diagnosis, ErrorLevels, Level, diagnose
from orthotune.metrics import report_from_confusion
from orthotune.models import ModelSpec, build_model
from orthotune.train import Manifest, save_checkpoint

DEFAULT_CLASSES = ("zero", "one", "two", "three")


def _dump(path: Path, content: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2), encoding="utf-8")


def _history(rng: np.random.Generator, epochs: int, floor: float, lr0: float) -> History:
    records = []
    for t in range(epochs):
        decay = math.exp(-t / 4)
        train_error = floor * 0.6 + 0.5 * decay + rng.normal(0, 0.01)
        dev_error = floor + 0.5 * decay + abs(rng.normal(0, 0.02))
        train_loss = 2.0 * decay + 0.1 + rng.normal(0, 0.03)
        records.append(
            EpochRecord(
                epoch=t,
                steps=10,
                lr=lr0 / (1 + 0.3 * t),
                train_loss=train_loss,
                train_error=max(train_error, 0.0),
                smoothed_loss=train_loss,
                dev_loss=2.0 * decay + 0.25 + abs(rng.normal(0, 0.06)),
                dev_error=max(dev_error, 0.0),
                seconds=0.4 + rng.random() * 0.1,
            )
        )
    return History(
        epochs=records,
        stop_reason="patience_exhausted",
        stop_message=f"dev error did not improve in the last 3 epochs. Best: {floor:.3f}",
    )


def _confusion(rng: np.random.Generator, k: int, n: int) -> list[list[int]]:
    matrix = np.zeros((k, k), dtype=int)
    for i in range(k):
        row = rng.multinomial(n, [0.85 if j == i else 0.15 / (k - 1) for j in range(k)])
        matrix[i] = row
    return matrix.tolist()


def _study(path: Path, *, n_trials: int, seed: int) -> None:
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    from optuna.trial import FrozenTrial, TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = np.random.default_rng(seed)
    study = optuna.create_study(study_name="run", storage=f"sqlite:///{path}", direction="maximize")
    study.set_user_attr("metric", "dev_accuracy")
    distributions = {
        "lr": FloatDistribution(1e-4, 1e-1, log=True),
        "width": IntDistribution(16, 256, log=True),
        "activation": CategoricalDistribution(["relu", "tanh", "gelu"]),
        "dropout": FloatDistribution(0.0, 0.5),
    }
    start = datetime(2026, 11, 1, 12, 0, 0)
    for number in range(n_trials):
        lr = float(10 ** rng.uniform(-4, -1))
        width = int(2 ** rng.integers(4, 9))
        activation = ["relu", "tanh", "gelu"][number % 3]
        dropout = float(rng.uniform(0, 0.5))
        quality = 0.95 - 0.08 * abs(math.log10(lr) + 2.5) - 0.02 * dropout + 0.01 * (width > 64)
        epochs = int(rng.integers(4, 10))
        curve = {t: quality - 0.4 * math.exp(-t / 2) + rng.normal(0, 0.01) for t in range(epochs)}
        began = start + timedelta(seconds=12 * number + float(rng.uniform(0, 4)))
        state = TrialState.PRUNED if number % 7 == 6 else TrialState.COMPLETE
        study.add_trial(
            FrozenTrial(
                number=number,
                trial_id=number,
                state=state,
                value=float(curve[epochs - 1]) if state == TrialState.COMPLETE else None,
                values=None,
                datetime_start=began,
                datetime_complete=began + timedelta(seconds=5 + epochs),
                params={"lr": lr, "width": width, "activation": activation, "dropout": dropout},
                distributions=distributions,
                user_attrs={
                    "model": f"trial-{number}",
                    "latency_ms": float(0.02 * width + rng.uniform(0, 1)),
                    "params": width * 40 + width * 4,
                    "feasible": width <= 128,
                    "step": number // 4,
                },
                system_attrs={},
                intermediate_values=curve,
            )
        )


def write_run_folder(
    root: Path,
    *,
    class_names: tuple[str, ...] = DEFAULT_CLASSES,
    data_name: str = "builtin:synthetic",
    column_name: str = "blurry",
    analysis_file: str = "errors.json",
    n_trials: int = 14,
    seed: int = 0,
) -> Path:
    """Write a run folder with every section's data; returns ``root``."""
    rng = np.random.default_rng(seed)
    names = list(class_names)
    run = RunDir.create(root)
    run.write_run(
        RunRecord(
            command="tune",
            data=data_name,
            config={"strategy": "autopilot", "budget_s": 300.0},
            seed=0,
            versions={"orthotune": "0.1.0", "torch": "2.13.0", "optuna": "4.x"},
            summary={"test_metrics": {"accuracy": 0.9125, "macro_f1": 0.9071, "error": 0.0875}},
            finished="2026-12-06T07:00:00+00:00",  # a finished run: no note says otherwise
        )
    )
    run.release()  # as Job.start does once run.json is written
    sizes = {"train": 240, "train-dev": 40, "dev": 60, "test": 60}
    run.write_split({"schema_version": 1, "seed": 0, "sizes": sizes, "ids": {}})
    _study(run.study_db, n_trials=n_trials, seed=seed)

    for name, floor in (("trial-3", 0.08), ("trial-5", 0.11), ("trial-0", 0.16)):
        run.write_history(name, _history(rng, 12, floor, 0.01))
    spec = ModelSpec(kind="mlp", input_shape=(16,), num_classes=len(names), hidden=(8,))
    manifest = Manifest(
        name="trial-3", spec=spec, class_names=tuple(names), data=data_name, data_shape=(16,)
    )
    save_checkpoint(run.model_dir("trial-3"), build_model(spec), manifest)
    run.set_best("trial-3")
    run.write_test_scores(report_from_confusion(_confusion(rng, len(names), 60), labels=names))

    # a Diagnosis as orthotune.diagnose writes it (the decomposition's levels and gaps with
    # 95 % intervals; a verdict; knobs), with round numbers the tests can name
    def level(name: str, error: float, n: int, half: float) -> dict:
        return {"name": name, "error": error, "n": n, "low": error - half, "high": error + half}

    def gap(name: str, value: float, low: float, high: float, upper: str, lower: str) -> dict:
        return {
            "name": name,
            "value": value,
            "low": low,
            "high": high,
            "upper": upper,
            "lower": lower,
        }

    diagnosis = Diagnosis.model_validate(
        {
            "tolerance": 0.01,
            "levels": {
                "human_error": 0.042,
                "train": {"error": 0.061, "n": 240},
                "train_dev": {"error": 0.072, "n": 40},
                "dev": {"error": 0.098, "n": 60},
                "test": {"error": 0.0875, "n": 60},
            },
            "decomposition": {
                "levels": [
                    level("train", 0.061, 240, 0.012),
                    level("train-dev", 0.072, 40, 0.02),
                    level("dev", 0.098, 60, 0.024),
                    level("test", 0.0875, 60, 0.025),
                ],
                "avoidable_bias": gap("avoidable_bias", 0.019, 0.007, 0.031, "train", "human"),
                "bias": None,
                "variance": gap("variance", 0.011, -0.01, 0.032, "train-dev", "train"),
                "data_mismatch": gap("data_mismatch", 0.026, 0.004, 0.048, "dev", "train-dev"),
                "dev_overfitting": gap("dev_overfitting", -0.0105, -0.04, 0.02, "test", "dev"),
            },
            "verdict": {
                "problem": "data_mismatch",
                "headline": "Data mismatch: dev error exceeds train-dev error by 2.6 points.",
                "findings": ["Data mismatch"],
                "focus": "reduce data mismatch",
                "surpassed_human": False,
                "judgements": [],
                "notes": ["the dev set (60 examples) is too small to resolve a 1-point gap"],
            },
            "problem": "data_mismatch",
            "is_high": {
                "avoidable_bias": False,
                "variance": False,
                "data_mismatch": True,
                "dev_overfitting": False,
            },
            "knobs": [
                {
                    "id": "synthesize",
                    "words": "make training data more like dev (augmentation toward dev)",
                    "source": "Guidelines for Minimizing Errors",
                },
                {"id": "collect", "words": "collect more data like the dev set", "source": "x"},
                {"id": "reweight", "words": "reweight examples", "source": "x"},
            ],
        }
    )
    run.write_diagnosis(diagnosis)

    def measured(train: float) -> dict:  # a step's before / after: what diagnose() said
        levels = ErrorLevels(
            human_error=0.042, train=Level(error=train, n=240), dev=Level(error=0.098, n=60)
        )
        return diagnose(levels).model_dump(mode="json")

    run.write_decisions(
        DecisionLog(
            steps=[
                Step(
                    index=1,
                    problem="avoidable_bias",
                    knob="bigger network",
                    before=measured(0.122),
                    after=measured(0.061),
                    variants=[
                        VariantScore(name="w128", label="width 128", errors={"dev": 0.11}),
                        VariantScore(
                            name="w256", label="width 256", errors={"dev": 0.098}, accepted=True
                        ),
                    ],
                    kept="w256",
                    why="avoidable bias fell 8.0 → 1.9 points, beyond the noise (±1.2)",
                    seconds=41.5,
                ),
                Step(
                    index=2,
                    problem="data_mismatch",
                    knob="augmentation toward dev",
                    variants=[VariantScore(name="n01", label="noise 0.1", errors={"dev": 0.1})],
                    why="gain 0.2 points is inside the noise (±2.4)",
                    seconds=30.2,
                ),
            ],
            stop_reason=StopReason.BUDGET_SPENT,
            stop_message="Stopped at the budget; data mismatch remains: collect dev-like data.",
        )
    )
    # analysis/ as `orthotune errors` and `clean --out RUN_DIR/analysis` write it (typed records)
    from orthotune.analysis import (
        ClassErrors,
        ErrorAnalysis,
        LabelIssues,
        Misclassified,
        Suspect,
        TagRow,
    )

    errors = ErrorAnalysis(
        split="dev",
        n=200,
        errors=20,
        error_rate=0.1,
        classes=[
            ClassErrors(
                label=n,
                n=50,
                errors=5,
                error_rate=0.1,
                share_of_errors=0.25,
                ceiling_error=0.075,
            )
            for n in names
        ],
        confusions=[],
        misclassified=[
            Misclassified(id=str(i), true_label=names[i % len(names)], predicted_label=names[0])
            for i in range(60)
        ],
        misclassified_total=60,
        tags=[TagRow(tag=column_name, count=4, share_of_errors=0.4, ceiling_error=0.06)],
    )
    _dump(root / "analysis" / "errors.json", errors.model_dump(mode="json"))
    if analysis_file != "errors.json":  # a file no part of orthotune writes: named in a note
        _dump(root / "analysis" / analysis_file, errors.model_dump(mode="json"))
    issues = LabelIssues(
        method="confident",
        num_examples=200,
        class_names=names,
        suspects=[
            Suspect(id="7", index=7, given_label=names[1], suggested_label=names[0], score=0.93),
            Suspect(id="19", index=19, given_label=names[0], suggested_label=names[-1], score=0.88),
        ],
    )
    _dump(root / "analysis" / "label_issues.json", issues.model_dump(mode="json"))
    # calibration.json as train / tune write it: temperature scaling of over-confident logits
    from orthotune.metrics import calibrate_temperature

    logits = rng.normal(scale=2.0, size=(300, len(names)))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random(300)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    run.write_calibration(calibrate_temperature(logits * 3, y, seed=0))
    # analysis/saliency.json as `orthotune errors --saliency` writes it: a linear model on
    # 1-D signals of 12 values that looks at positions 8-11 while the mask marks 0-7
    import torch

    from orthotune.analysis import saliency_report

    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, len(names)))
    x = torch.randn(40, 1, 12)
    mask = np.zeros((1, 12), dtype=bool)
    mask[0, :8] = True
    ids = np.array([f"s{i}" for i in range(40)])
    y = rng.integers(0, len(names), 40)
    report = saliency_report(
        model, x, x * 2 + 1, y, ids, names, source=str(root), mask=mask, mask_name="object.npz"
    )
    _dump(root / "analysis" / "saliency.json", report.model_dump(mode="json"))
    return root


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete run folder (every section has data); shared, so tests must not modify it."""
    return write_run_folder(tmp_path_factory.mktemp("report") / "run")


@pytest.fixture(scope="session")
def run_info(run_folder: Path):
    """The run folder read once (reading asks Optuna for importance, which takes a second)."""
    from orthotune.report import read_run_folder

    return read_run_folder(run_folder)
