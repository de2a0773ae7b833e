import pytest
import torch

from orthotune.autopilot import KNOB_MENU, paired_change, variants
from orthotune.fit import baseline
from orthotune.models import build_model


@pytest.mark.parametrize("shape", [(12,), (1, 40), (3, 16, 16), (1, 6, 6)])
def test_baseline_per_data_shape_builds_and_runs(shape):
    spec, config = baseline(shape, 4)
    assert spec.kind == {1: "mlp", 2: "cnn1d", 3: "cnn2d"}[len(shape)]
    assert build_model(spec)(torch.randn(2, *shape)).shape == (2, 4)
    assert config.epochs > 0


@pytest.mark.parametrize("shape", [(12,), (1, 40)])
def test_each_variant_turns_one_knob_only(shape):
    spec, config = baseline(shape, 3)
    seen = 0
    for problem, knobs in KNOB_MENU.items():
        for knob in knobs:
            for v in variants(knob, spec, config):
                seen += 1
                assert v.knob == knob
                changed_spec = v.spec != spec
                changed_config = v.config != config
                assert changed_spec or changed_config, (problem, knob, v.label)
                # architecture knobs never touch the training, training knobs never the model
                if knob in (
                    "bigger_network",
                    "smaller_network",
                    "batch_norm",
                    "xavier_init",
                    "architecture_family",
                ):
                    assert v.config == config, v.label
                if knob in (
                    "train_longer",
                    "better_optimizer",
                    "data_augmentation",
                    "early_stopping",
                    "noise_augmentation",
                    "hard_examples",
                ):
                    assert v.spec == spec, v.label
                build_model(v.spec)  # every variant is a valid model
    assert seen > 10


def test_bigger_network_is_bigger():
    spec, config = baseline((1, 40), 10)
    params = lambda s: sum(p.numel() for p in build_model(s).parameters())  # noqa: E731
    for v in variants("bigger_network", spec, config):
        assert params(v.spec) > params(spec), v.label
    for v in variants("smaller_network", spec, config):
        assert params(v.spec) < params(spec), v.label


def test_paired_change_counts_fixed_and_broken_examples():
    before = torch.tensor([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], dtype=torch.bool)
    after = torch.tensor([0, 0, 1, 1, 0, 0, 0, 0, 0, 0], dtype=torch.bool)
    ch = paired_change(before, after)
    assert (ch.fixed, ch.broken, ch.n) == (2, 1, 10)
    assert ch.change == pytest.approx(-0.1)
    assert ch.low < ch.change < ch.high
    assert not ch.better_beyond_noise  # 2 fixed vs 1 broken is within the noise


def test_paired_change_beats_noise_when_many_more_are_fixed():
    n = 1000
    before = torch.zeros(n, dtype=torch.bool)
    before[:30] = True  # 3.0 % error
    after = torch.zeros(n, dtype=torch.bool)
    after[25:35] = True  # fixes 25, breaks 5 → 1.0 % error
    ch = paired_change(before, after)
    assert ch.change == pytest.approx(-0.02)
    assert ch.better_beyond_noise


def test_reweighting_holds_model_and_training_and_changes_only_the_example_weights():
    spec, config = baseline((12,), 3)
    assert variants("reweighting", spec, config) == []  # no weights computed: nothing to turn
    w = torch.tensor([0.2, 0.2, 2.6])  # mean 1, as dev_likeness_weights gives them
    out = variants("reweighting", spec, config, dev_weights=w)
    assert [v.label for v in out] == ["weights toward dev", "weights toward dev, tempered (√w)"]
    for v in out:
        assert (v.spec, v.config) == (spec, config) and v.weights.mean() == pytest.approx(1.0)
    assert out[1].weights.max() < out[0].weights.max()  # tempered: closer to uniform


def test_hard_examples_turns_the_focal_gamma_only():
    spec, config = baseline((12,), 3)
    found = variants("hard_examples", spec, config)
    assert [v.config.focal_gamma for v in found] == [0.5, 1.0]
    for v in found:
        assert v.spec == spec
        assert v.config.model_copy(update={"focal_gamma": 0.0}) == config
    assert "hard_examples" in KNOB_MENU["avoidable_bias"]


def test_input_selection_is_offered_for_wide_vectors_and_more_inputs_undoes_it():
    spec, config = baseline((300,), 2)
    fewer = variants("input_selection", spec, config)
    assert [(v.spec.select, v.label) for v in fewer] == [
        (100, "the 100 features of highest F (of 300)"),
        (30, "the 30 features of highest F (of 300)"),
    ]
    assert all(v.config == config and v.spec.hidden == spec.hidden for v in fewer)
    assert variants("more_inputs", spec, config) == []  # it reads every feature already
    # a model that selects is offered fewer still, and more: 3× and 10× as many, or all
    thirty = fewer[1].spec
    assert [v.spec.select for v in variants("input_selection", thirty, config)] == [10, 3]
    more = variants("more_inputs", thirty, config)
    assert [(v.spec.select, v.label) for v in more] == [
        (90, "the 90 features of highest F (of 300)"),
        (None, "all 300 features"),
    ]
    # narrow vectors, signals and images: nothing to select
    for shape in [(49,), (1, 400), (1, 20, 20)]:
        spec, config = baseline(shape, 2)
        assert variants("input_selection", spec, config) == []
    assert [v.spec.select for v in variants("input_selection", *baseline((50,), 2))] == [17, 5]


def test_what_tuning_cannot_do_follows_the_problem_that_remains():
    from types import SimpleNamespace

    from orthotune.autopilot._variants import LOOKS, MORE_DATA, beyond_tuning

    # with the avoidable bias left it led with "get more training data", a variance remedy,
    # and listed "weight hard examples higher", the loop's own hard_examples knob
    bias = beyond_tuning("avoidable_bias")
    assert MORE_DATA not in bias and bias[0] == "add discriminating attributes"
    assert beyond_tuning("variance")[0] == MORE_DATA
    assert beyond_tuning("data_mismatch")[0].startswith("get more training data like the dev set")
    assert not any("hard examples" in said for p in ("variance", None) for said in beyond_tuning(p))
    # where the model looks: said of signals and images, not of a table's columns (a sweep's
    # seven tables all ended with it)
    problems = ("avoidable_bias", "variance", "data_mismatch", None)
    assert all(LOOKS in beyond_tuning(p) for p in problems)
    assert not any(LOOKS in beyond_tuning(p, spatial=False) for p in problems)
    # the learning curve's words beside "more data": first where more data helps, last where
    # the curve is flat ("more data of this kind will not help" led the list)
    helps = SimpleNamespace(flat=False, sentence="doubling … would lower the dev error")
    flat = SimpleNamespace(flat=True, sentence="the curve is flat")
    first = beyond_tuning("variance", curve=helps)[0]
    assert first == f"{MORE_DATA} (learning curve: {helps.sentence})"
    said = beyond_tuning("variance", spatial=False, curve=flat)
    assert said[-1] == f"{MORE_DATA} (learning curve: the curve is flat)" and len(said) == 4
    assert MORE_DATA not in " ".join(beyond_tuning("avoidable_bias", curve=flat))
