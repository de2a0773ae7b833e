"""After a refit on train + dev, the final ladder is one model's: the chosen configuration as
trained on train (its train, train-dev and dev errors were already that model's; its test error
was the refitted model's, so test − dev mixed two models)."""

import numpy as np
import pytest

from orthotune.autopilot import AutopilotSettings, run_autopilot
from orthotune.data import dataset_from_arrays, make_split, prepare
from orthotune.fit import score_parts


def test_the_final_diagnosis_is_the_configuration_before_its_refit():
    g = np.random.default_rng(0)
    x = g.normal(size=(4000, 4)).astype(np.float32)
    y = ((x[:, 0] + 0.5 * x[:, 1] > 0) ^ (g.random(4000) < 0.1)).astype(np.int64)
    ds = dataset_from_arrays(x, y)
    data = prepare(ds, make_split(ds, seed=0))
    seen = {}

    def remember(trained, step, problem):
        seen.setdefault(trained.candidate.name, trained)  # the first: trained on train

    settings = AutopilotSettings(
        trials=2, budget_s=float("inf"), polish=False, learning_curve=False, yardstick=False
    )
    result = run_autopilot(data, settings, on_trained=remember)
    assert result.log.refitted
    configured = seen[result.log.chosen]
    assert configured.model is not result.chosen.model
    levels = {lv.name: lv.error for lv in result.diagnosis.decomposition.levels}
    test = score_parts(configured.model, {"test": data.test}, device="cpu")["test"]
    refitted = score_parts(result.chosen.model, {"test": data.test}, device="cpu")["test"]
    assert levels["test"] == pytest.approx(float(test.double().mean()))
    assert levels["dev"] == configured.error("dev")
    assert (test != refitted).any()  # two models: which one the ladder read matters
