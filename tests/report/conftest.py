"""A small but realistic run folder, written the way train / tune / autopilot / errors write it.

The shapes follow DESIGN.md's run folder: run.json, split.json, a real Optuna SQLite study with
timed trials (intermediate values, params, satisficing attributes), models/<name>/manifest.json
with ``models/best``, history/<name>.json, diagnosis.json, decisions.json and analysis/ files.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

DEFAULT_CLASSES = ("zero", "one", "two", "three")


def _dump(path: Path, content: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2), encoding="utf-8")


def _history(rng: np.random.Generator, epochs: int, floor: float, lr0: float) -> dict:
    records = []
    for t in range(epochs):
        decay = math.exp(-t / 4)
        train_error = floor * 0.6 + 0.5 * decay + rng.normal(0, 0.01)
        dev_error = floor + 0.5 * decay + abs(rng.normal(0, 0.02))
        records.append(
            {
                "epoch": t,
                "train_loss": 2.0 * decay + 0.1 + rng.normal(0, 0.03),
                "dev_loss": 2.0 * decay + 0.25 + abs(rng.normal(0, 0.06)),
                "train_error": max(train_error, 0.0),
                "dev_error": max(dev_error, 0.0),
                "lr": lr0 / (1 + 0.3 * t),
                "seconds": 0.4 + rng.random() * 0.1,
            }
        )
    return {
        "schema_version": 1,
        "epochs": records,
        "stop_reason": {
            "reason": "PATIENCE_EXHAUSTED",
            "message": f"dev error did not improve in the last 3 epochs. Best: {floor:.3f}",
        },
    }


def _confusion(rng: np.random.Generator, k: int, n: int) -> list[list[int]]:
    matrix = np.zeros((k, k), dtype=int)
    for i in range(k):
        row = rng.multinomial(n, [0.85 if j == i else 0.15 / (k - 1) for j in range(k)])
        matrix[i] = row
    return matrix.tolist()


def _per_class(matrix: list[list[int]], names: list[str]) -> list[dict]:
    cm = np.asarray(matrix, dtype=float)
    rows = []
    for i, name in enumerate(names):
        precision = cm[i, i] / cm[:, i].sum()
        recall = cm[i, i] / cm[i].sum()
        rows.append(
            {
                "class": name,
                "precision": precision,
                "recall": recall,
                "f1": 2 * precision * recall / (precision + recall),
                "support": int(cm[i].sum()),
            }
        )
    return rows


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
    root.mkdir(parents=True, exist_ok=True)
    ids = [str(i) for i in range(400)]
    _dump(
        root / "run.json",
        {
            "schema_version": 1,
            "command": "tune",
            "data": {
                "name": data_name,
                "n_examples": 400,
                "input_shape": [16],
                "class_names": names,
                "feature_names": [f"x{i}" for i in range(16)],
            },
            "config": {"strategy": "autopilot", "budget": "5m"},
            "seed": 0,
            "versions": {"orthotune": "0.1.0", "torch": "2.13.0", "optuna": "4.x"},
            "summary": {
                "chosen_model": "trial-3",
                "test_metrics": {"accuracy": 0.9125, "macro_f1": 0.9071, "test_error": 0.0875},
            },
        },
    )
    _dump(
        root / "split.json",
        {
            "schema_version": 1,
            "train": ids[:240],
            "train-dev": ids[240:280],
            "dev": ids[280:340],
            "test": ids[340:],
        },
    )
    _study(root / "study.db", n_trials=n_trials, seed=seed)

    for name, floor in (("trial-3", 0.08), ("trial-5", 0.11), ("trial-0", 0.16)):
        _dump(root / "history" / f"{name}.json", _history(rng, 12, floor, 0.01))
    matrix = _confusion(rng, len(names), 60)
    dev_matrix = _confusion(rng, len(names), 60)
    _dump(
        root / "models" / "trial-3" / "manifest.json",
        {
            "schema_version": 1,
            "format": "orthotune-checkpoint",
            "class_names": names,
            "spec": {"kind": "mlp", "widths": [64, 64], "activation": "relu"},
            "sha256": "0" * 64,
            "metrics": {
                "dev": {"confusion_matrix": dev_matrix, "per_class": _per_class(dev_matrix, names)},
                # as orthotune.metrics' ClassificationReport dumps it
                "test": {
                    "schema_version": 1,
                    "labels": names,
                    "beta": 1.0,
                    "accuracy": 0.9125,
                    "error": 0.0875,
                    "per_class": [
                        {
                            "label": r["class"],
                            "precision": r["precision"],
                            "recall": r["recall"],
                            "fbeta": r["f1"],
                            "support": r["support"],
                        }
                        for r in _per_class(matrix, names)
                    ],
                    "macro": {"precision": 0.91, "recall": 0.9, "fbeta": 0.905},
                    "micro": {"precision": 0.9125, "recall": 0.9125, "fbeta": 0.9125},
                    "harmonic": {"precision": 0.909, "recall": 0.899, "fbeta": 0.904},
                    "confusion": matrix,
                },
            },
        },
    )
    (root / "models" / "best").write_text("trial-3\n", encoding="utf-8")

    # diagnosis.json as orthotune.diagnose's Diagnosis dumps it (levels with example counts;
    # the decomposition's levels and gaps with 95 % intervals; a verdict; knobs).
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

    _dump(
        root / "diagnosis.json",
        {
            "schema_version": 1,
            "tolerance": 0.01,
            "levels": {
                "schema_version": 1,
                "human_error": 0.042,
                "bayes_error": None,
                "train": {"error": 0.061, "n": 240},
                "train_dev": {"error": 0.072, "n": 40},
                "dev": {"error": 0.098, "n": 60},
                "test": {"error": 0.0875, "n": 60},
                "dev_sources": {},
            },
            "decomposition": {
                "schema_version": 1,
                "levels": [
                    level("train", 0.061, 240, 0.012),
                    level("train-dev", 0.072, 40, 0.02),
                    level("dev", 0.098, 60, 0.024),
                    level("test", 0.0875, 60, 0.025),
                ],
                "sources": [],
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
        },
    )
    _dump(
        root / "decisions.json",
        {
            "schema_version": 1,
            "steps": [
                {
                    "step": 1,
                    "problem": "avoidable bias",
                    "knob": "bigger network",
                    "before": {"avoidable_bias": 0.08, "variance": 0.01, "data_mismatch": 0.02},
                    "after": {"avoidable_bias": 0.019, "variance": 0.011, "data_mismatch": 0.026},
                    "variants": [
                        {"name": "width 128", "params": {"width": 128}, "dev_error": 0.11},
                        {"name": "width 256", "params": {"width": 256}, "dev_error": 0.098},
                    ],
                    "choice": "width 256",
                    "kept": True,
                    "reason": "avoidable bias fell 8.0 → 1.9 points, beyond the noise (±1.2)",
                    "seconds": 41.5,
                },
                {
                    "step": 2,
                    "problem": "data mismatch",
                    "knob": "augmentation toward dev",
                    "variants": [{"name": "noise 0.1", "dev_error": 0.1}],
                    "choice": "none",
                    "kept": False,
                    "reason": "gain 0.2 points is inside the noise (±2.4)",
                    "seconds": 30.2,
                },
            ],
            "final": "Stopped at the budget; data mismatch remains: collect dev-like data.",
        },
    )
    _dump(
        root / "analysis" / analysis_file,
        {
            "schema_version": 1,
            "split": "dev",
            "dev_error": 0.098,
            "per_class": [
                {"class": n, "errors": 3 + i, "error_rate": 0.05 * (i + 1), "share": 0.25}
                for i, n in enumerate(names)
            ],
            "tags": [{"tag": column_name, "count": 4, "share": 0.4, "ceiling": 0.06}],
            "misclassified": [
                {"id": str(i), "y_true": names[i % len(names)], "y_pred": names[0], "p": 0.6}
                for i in range(60)
            ],
        },
    )
    _dump(
        root / "analysis" / "label_issues.json",
        {
            "schema_version": 1,
            "method": "confident",
            "suspects": [
                {"id": "7", "given": names[1], "suggested": names[0], "score": 0.93},
                {"id": "19", "given": names[0], "suggested": names[-1], "score": 0.88},
            ],
        },
    )
    # calibration.json as train / tune write it: temperature scaling of over-confident logits
    from orthotune.metrics import calibrate_temperature

    logits = rng.normal(scale=2.0, size=(300, len(names)))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random(300)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    _dump(
        root / "calibration.json",
        calibrate_temperature(logits * 3, y, seed=0).model_dump(mode="json"),
    )
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
