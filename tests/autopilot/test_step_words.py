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
