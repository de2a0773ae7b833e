"""A step's sentence agrees with its variants' rows (it said "no variant lowered the train
error beyond the noise" over two rows that had, refused by the variance guard)."""

import numpy as np
import pandas as pd

import orthotune


def test_a_step_whose_variants_the_guard_refused_says_they_beat_the_noise(tmp_path):
    rng = np.random.default_rng(7)  # 3 refused steps (seed 5 had one before batch norm's
    # running statistics kept one epoch's memory, none after)
    a = rng.normal(size=(800, 5))
    y = np.digitize(2 * a[:, 0] + a[:, 1] + rng.normal(size=800), [-2, 0, 2.5])
    frame = pd.DataFrame(a.round(4), columns=[f"f{i}" for i in range(5)])
    parts = ["train", "train-dev", "dev", "test"]
    frame["split"] = rng.choice(parts, 800, p=[0.55, 0.15, 0.15, 0.15])
    frame["cls"] = np.array(list("ABCD"))[y]
    frame.to_csv(tmp_path / "d.csv", index=False)
    summary = orthotune.tune(
        str(tmp_path / "d.csv"), target="cls", split_col="split", trials=7, human_error="5%",
        out=tmp_path / "run", seed=0,
    )  # fmt: skip
    judged = 0
    for step in summary.decisions.steps[1:]:
        refused = [
            v
            for v in step.variants
            if not v.accepted and v.target_high is not None and v.target_high < 0
            and "grew by" in v.why
        ]  # fmt: skip
        if step.kept is None and refused:
            judged += 1
            assert step.why.startswith(f"{len(refused)} variant(s) of "), step.why
            assert "lowered the train error beyond the noise but grew another gap" in step.why
    assert judged, [s.why for s in summary.decisions.steps]
    # the run refitted its choice on train + dev: its analysis rows are not the diagnosis's
    assert summary.decisions.refitted
    notes = orthotune.errors(tmp_path / "run").notes
    assert any(n.startswith("the chosen model was refitted on train + dev") for n in notes)
    # its errors by split are the diagnosis's, one model's (they mixed the refitted model's
    # train and train-dev rows with the configuration's dev rows)
    mismatch, levels = orthotune.errors(tmp_path / "run").mismatch, summary.diagnosis.levels
    assert (mismatch.train_error, mismatch.train_dev_error, mismatch.dev_error) == (
        levels.train.error,
        levels.train_dev.error,
        levels.dev.error,
    )
    assert mismatch.data_mismatch == levels.dev.error - levels.train_dev.error


def test_a_variant_cut_short_is_marked_in_the_terminal_as_in_the_report(
    tmp_path, monkeypatch, capsys
):
    """A new-user sweep's MplsStops: "the 74 features of highest F (of 736) │ 17.57 % │
    20.18 % │ +1.56 (+1.00…+2.12)" read as a comparison in the terminal, where decisions.json
    and the report said "cut short by the time budget: not comparable"."""
    from orthotune._records import CUT_SHORT
    from orthotune.cli._render_tune import render_autopilot

    monkeypatch.setenv("COLUMNS", "220")
    summary = orthotune.tune("builtin:synthetic?n=600&classes=3&features=5&seed=2", trials=3,
                             out=tmp_path / "run", seed=0)  # fmt: skip
    steps = summary.decisions.steps
    step = next(s for s in steps[1:] if s.variants)
    v = step.variants[0]
    why = f"{CUT_SHORT}: not comparable"
    interval = {"target_change": 0.0156, "target_low": 0.01, "target_high": 0.02}
    cut = v.model_copy(update={"accepted": False, "why": why, **interval})
    assert cut.cut_short and not v.model_copy(update={"why": "beat"}).cut_short
    changed = step.model_copy(update={"variants": [cut, *step.variants[1:]], "kept": None})
    log = summary.decisions.model_copy(
        update={"steps": [s if s is not step else changed for s in steps]}
    )
    render_autopilot(summary.model_copy(update={"decisions": log}))
    row = next(ln for ln in capsys.readouterr().out.splitlines() if v.described[:20] in ln)
    assert "cut short" in row and "+1.56" not in row, row


def test_a_learning_curve_of_a_model_the_polish_replaced_names_the_model_it_measured():
    """A sweep's CollegeDistance: "would lower the dev error on its 948 dev examples from 26.2%
    to about 24.7%" where the chosen model (the polish's) had 24.37 %: the curve had measured
    the loop's choice."""
    from orthotune._records import DecisionLog, Step, VariantScore
    from orthotune.analysis import LearningCurve
    from orthotune.autopilot._loop import _curve_of

    said = "doubling the training data would lower the dev error from 26.2% to about 24.7%"
    curve = LearningCurve(points=[], dev_examples=948, error_now=0.262, sentence=said)
    step = Step(index=2, problem="variance", knob="regularization",
                variants=[VariantScore(name="v2", label="dropout 0.2", accepted=True)])  # fmt: skip
    log = DecisionLog(steps=[step], chosen="ensemble")
    assert _curve_of(curve, "v2", log).sentence == (
        f"{said} — measured on the loop's choice, v2 (dropout 0.2), before the polish chose "
        "ensemble"
    )
    same = log.model_copy(update={"chosen": "v2"})
    assert _curve_of(curve, "v2", same) is curve and _curve_of(None, "v2", log) is None
