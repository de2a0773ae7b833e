"""Which knob the loop turns next for the current model (``_Tried``)."""

from orthotune.autopilot._loop import _Tried

BIAS = ("bigger_network", "train_longer", "better_optimizer")
VARIANCE = ("regularization", "early_stopping")


def test_a_kept_variant_makes_every_knob_worth_trying_again_but_those_the_guard_refused():
    tried = _Tried()
    assert tried.next("avoidable_bias", BIAS) == "bigger_network"
    tried.add("avoidable_bias", "bigger_network", refused_by="variance")  # train ↓, variance ↑
    tried.add("avoidable_bias", "train_longer")  # did not beat the noise
    assert tried.next("avoidable_bias", BIAS) == "better_optimizer"
    tried.add("avoidable_bias", "better_optimizer")

    tried.kept("avoidable_bias")  # a learning-rate change: the variance that refused is still there
    assert tried.next("avoidable_bias", BIAS) == "train_longer"
    tried.add("avoidable_bias", "train_longer")
    assert tried.next("avoidable_bias", BIAS) == "better_optimizer"
    tried.add("avoidable_bias", "better_optimizer")
    assert tried.next("avoidable_bias", BIAS) is None  # the loop moves to the next problem

    assert tried.next("variance", VARIANCE) == "regularization"
    tried.add("variance", "regularization")
    tried.kept("variance")  # the gap that refused the bigger network was lowered
    assert tried.next("avoidable_bias", BIAS) == "bigger_network"
    assert tried.next("variance", VARIANCE) == "regularization"


def test_a_knob_refused_for_one_gap_waits_for_that_gap_only():
    tried = _Tried()
    tried.add("variance", "regularization", refused_by="avoidable_bias")
    tried.add("data_mismatch", "data_synthesis", refused_by="variance")
    tried.kept("variance")
    assert tried.next("data_mismatch", ("data_synthesis",)) == "data_synthesis"
    assert tried.next("variance", VARIANCE) == "early_stopping"
    tried.kept("avoidable_bias")
    assert tried.next("variance", VARIANCE) == "regularization"
