"""The polish phase: the noise-aware comparisons against reference computations, the
combination of knobs, and a run with a generous budget that keeps training."""

import dataclasses
import functools
import re
import time

import numpy as np
import pytest
import torch
from statsmodels.stats.multitest import multipletests

from orthotune.autopilot import AutopilotSettings, StopReason, run_autopilot
from orthotune.autopilot._compare import adjust, holm, paired_change, seeded_change
from orthotune.autopilot._loop import REFIT_MARGIN
from orthotune.autopilot._polish import Contender, combine
from orthotune.data import load_dataset, make_split
from orthotune.data._prepare import prepare
from orthotune.fit import Candidate, Trained
from orthotune.models import ModelSpec
from orthotune.train import TrainConfig


def _said(members: int, kept: bool) -> str:
    """The polish's words for its ensemble, kept or not ("the ensemble is built" was said of
    one not kept too, beside a single network)."""
    if kept:
        return f"the ensemble is built ({members} members)"
    return (
        f"an ensemble of {members} members did not beat the single model beyond the noise: the "
        "single model stays"
    )


@pytest.mark.parametrize("seed", range(5))
def test_holm_matches_statsmodels(seed):
    p = np.random.default_rng(seed).uniform(0, 0.2, size=7)
    p[seed % 7] = 0.001
    _, expected, _, _ = multipletests(p, alpha=0.05, method="holm")
    np.testing.assert_allclose(holm(list(p)), expected, rtol=1e-12)


def test_one_seed_is_the_paired_interval_and_one_variant_needs_no_adjustment():
    g = torch.Generator().manual_seed(0)
    before = torch.rand(500, generator=g) < 0.10
    after = before & (torch.rand(500, generator=g) < 0.6)  # fixes ~40 % of the mistakes
    single = paired_change(before, after)
    assert seeded_change([before], [after]) == single
    (alone,) = adjust([single])
    assert alone.p_adjusted == pytest.approx(single.p)
    # "better at one-sided 2.5 %" is "the two-sided 95 % interval lies below zero"
    assert single.better_beyond_noise == (single.high < 0)
    # 20 fixed, none broken of 500: change -4 %, se sqrt(20 - 400/500)/500
    b = torch.zeros(500, dtype=torch.bool)
    b[:20] = True
    c = paired_change(b, torch.zeros(500, dtype=torch.bool))
    se = np.sqrt(20 - 400 / 500) / 500
    assert c.change == pytest.approx(-0.04)
    assert c.high == pytest.approx(-0.04 + 1.959963984540054 * se)


def test_seed_spread_widens_the_interval():
    n = 1000
    base = torch.zeros(n, dtype=torch.bool)
    base[:100] = True  # 10 % wrong with every seed
    # the variant fixes 20, 0 and 40 of those 100 with seeds 0, 1, 2: per-seed changes
    # -2 %, 0 %, -4 %, mean -2 %; seed variance 0.0004 / 3 adds to the example part
    after = []
    for k in (20, 0, 40):
        a = base.clone()
        a[:k] = False
        after.append(a)
    c = seeded_change([base] * 3, after)
    d = torch.stack([a.double() - base.double() for a in after]).mean(0)
    var = float(d.var(correction=0)) / n + np.var([-0.02, 0.0, -0.04], ddof=1) / 3
    assert c.change == pytest.approx(-0.02)
    assert c.high - c.change == pytest.approx(1.959963984540054 * np.sqrt(var))
    assert c.seeds == 3
    same = seeded_change([base] * 3, [after[0]] * 3)  # no seed spread: narrower
    assert (same.high - same.change) < (c.high - c.change)


SPEC = ModelSpec(input_shape=(4,), num_classes=3, hidden=(16,))
CONFIG = TrainConfig(lr=1e-2, epochs=10)


def _contender(spec, config):
    cand = Candidate("v", spec, config)
    return Contender("v", Trained(cand, None), Candidate("base", SPEC, CONFIG))


def test_combination_takes_every_change_that_helped():
    wider = _contender(SPEC.model_copy(update={"hidden": (64,)}), CONFIG)
    longer = _contender(SPEC, CONFIG.model_copy(update={"epochs": 20}))
    combo = combine(Candidate("base", SPEC, CONFIG), [wider, longer])
    assert combo is not None
    assert combo.spec.hidden == (64,) and combo.config.epochs == 20
    assert combo.config.lr == CONFIG.lr  # what no contender changed stays
    # one contender is no combination; two that set the same thing differently do not combine
    assert combine(Candidate("base", SPEC, CONFIG), [wider]) is None
    other = _contender(SPEC.model_copy(update={"hidden": (8,)}), CONFIG)
    assert combine(Candidate("base", SPEC, CONFIG), [wider, other]) is None


class _Clock:
    """``time.monotonic`` with a hand to move it: ``skip(s)`` lets s seconds pass for every
    deadline at once, as ``time.sleep(s)`` would without the wait (three tests here slept 28 s
    each, the suite's two workers idle)."""

    def __init__(self, real):
        self.real, self.ahead = real, 0.0

    def __call__(self) -> float:
        return self.real() + self.ahead

    def skip(self, seconds: float) -> None:
        self.ahead += max(0.0, seconds)


@pytest.fixture
def clock(monkeypatch):
    moved = _Clock(time.monotonic)
    monkeypatch.setattr(time, "monotonic", moved)
    return moved


def _synthetic(n: int, width: int, epochs: int):
    """A small synthetic set, prepared, and a tiny MLP to start from."""
    ds = load_dataset(f"builtin:synthetic?n={n}&classes=3&features=6&seed=4")
    start = (
        ModelSpec(input_shape=ds.input_shape, num_classes=3, hidden=(width,)),
        TrainConfig(lr=1e-2, epochs=epochs, batch_size=64),
    )
    return prepare(ds, make_split(ds, seed=0)), start


@pytest.mark.slow
def test_a_generous_budget_keeps_training_and_logs_the_polish():
    data, start = _synthetic(600, 16, 4)
    budget = 25.0
    settings = AutopilotSettings(budget_s=budget, start=start)
    t0 = time.monotonic()
    result = run_autopilot(data, settings)
    spent = time.monotonic() - t0
    log = result.log
    polished = [s for s in log.steps if s.problem == "polish"]
    knobs = [s.knob for s in polished]
    # no knob helps long before the budget (8 s of 25 on this box, a 4-epoch model on 600
    # rows); the polish fills it
    assert log.stop_reason == StopReason.NO_KNOB_HELPS, log.stop_message
    assert knobs[:1] == ["re-measure"] or knobs[:1] == ["local search"], knobs
    assert "ensemble" in knobs or "cannot fit" in log.polish, log.polish
    assert spent >= 0.9 * budget, (spent, log.polish)
    assert log.polish
    # the learning curve measured the loop's choice before the polish began, so the polish
    # spent what the curve left instead of an estimate of it
    assert result.learning_curve is not None and log.curve_seconds > 0
    # 600 rows: k-fold, whose errors are out of fold; the curve's are the dev split's, and say so
    pooled = len(data.train) + len(data.dev)
    said = f"the run's errors are out of fold over {pooled} train + dev examples"
    sentence = result.learning_curve.sentence
    assert said in sentence, sentence
    if "before the polish chose" in sentence:  # another model than the curve's was chosen
        assert sentence.endswith(f"before the polish chose {log.chosen}"), sentence
    more = [line for line in log.beyond_tuning if line.startswith("get more training data of")]
    assert all(said in line for line in more), log.beyond_tuning  # none where bias remains
    loop_end = max(s.elapsed for s in log.steps if s.problem != "polish")
    first = polished[0]
    assert first.elapsed - first.seconds >= loop_end + log.curve_seconds - 0.05, (
        loop_end,
        log.curve_seconds,
        first.elapsed,
        first.seconds,
    )


@pytest.mark.slow
def test_the_polish_keeps_to_the_budget_when_recording_a_model_costs_more_than_training_it():
    """A move records its models when it ends; a slow store (here 0.05 s a model, more than a
    one-epoch model trains in) must be paid for within the budget, not after it. With no knob
    step, the polish's first move knows that cost only from the baseline's record."""
    data, start = _synthetic(300, 8, 1)
    budget = 12.0
    settings = AutopilotSettings(budget_s=budget, start=start, learning_curve=False, max_steps=0)
    recorded = []

    def slow_store(trained, step, problem):
        time.sleep(0.05)
        recorded.append(problem)

    t0 = time.monotonic()
    result = run_autopilot(data, settings, on_trained=slow_store)
    spent = time.monotonic() - t0
    assert "polish" in recorded and len(recorded) == len(result.trained) > 40
    assert spent <= budget + 1.0, (spent, len(recorded), result.log.polish)


def _tiny_run(small_data: int, **kw):
    data, start = _synthetic(500, 16, 3)
    settings = AutopilotSettings(
        budget_s=120.0,  # the loop stops after the baseline; without polish nothing fills it
        start=start,
        learning_curve=False,
        max_steps=0,
        polish=False,
        small_data=small_data,
        **kw,
    )
    return data, run_autopilot(data, settings)


@pytest.mark.slow
def test_refit_trains_the_chosen_configuration_on_train_and_dev():
    data, result = _tiny_run(small_data=10, refit=True)  # a hold-out dev set
    n = len(data.train) + len(data.dev)
    assert result.log.refit == f"refit on the {n} train + dev examples for 3 epochs"
    assert result.log.refit_seconds > 0 and result.log.curve_seconds == 0.0  # no curve asked
    # the run's figures stay those of the configuration as chosen on dev; the test set judges
    # the refit model, whose temperature is fitted on the chosen model's dev logits
    assert result.chosen.error("dev") is not None and result.chosen.dev_logits is not None
    assert result.test_wrong is not None
    assert not [s for s in result.log.steps if s.problem == "polish"] and not result.log.polish
    _, kfold = _tiny_run(small_data=10_000, refit=True)
    assert kfold.log.refit.startswith("nothing to refit") and kfold.log.refit_seconds == 0.0


def test_the_time_a_refitted_ensemble_left_trains_more_members_on_train_and_dev():
    """Each member costs what one did in the refit (10 s for 2 members: 5 s): 12 s left fit 2
    more (fresh seeds, on train + dev), up to the cap; a single model, too little time or a
    deadline that cuts them add none."""
    from orthotune.autopilot._refit import grow_refitted
    from orthotune.fit import train_candidates
    from orthotune.models import Ensemble

    data, (spec, config) = _small_start()
    pooled = len(data.train) + len(data.dev)
    seen = []

    def train(cands, on, deadline=None):
        seen.append((sorted(c.seed for c in cands), len(on.train)))
        return train_candidates(cands, on, device="cpu", deadline=deadline)

    one, two = train_candidates(
        [Candidate("refit0", spec, config, 3), Candidate("refit1", spec, config, 4)],
        data,
        device="cpu",
    )
    refitted = dataclasses.replace(one, model=Ensemble([one.model, two.model]))
    grown, added = grow_refitted(refitted, data, train, left_s=12.0, refit_s=10.0, cap=8)
    assert added == 2 and len(grown.model.members) == 4 and seen == [([5, 6], pooled)]
    assert all(a is b for a, b in zip(grown.model.members[:2], refitted.model.members, strict=True))
    _, added = grow_refitted(refitted, data, train, left_s=40.0, refit_s=10.0, cap=3)
    assert added == 1  # the cap
    assert grow_refitted(refitted, data, train, left_s=4.0, refit_s=10.0, cap=8)[1] == 0
    assert grow_refitted(one, data, train, left_s=99.0, refit_s=1.0, cap=8) == (one, 0)
    seen.clear()
    cut = functools.partial(train, deadline=time.monotonic())
    assert grow_refitted(refitted, data, cut, left_s=12.0, refit_s=10.0, cap=8) == (refitted, 0)
    assert seen == [([5, 6], pooled)]  # tried, cut, left out


def test_ctrl_c_while_a_refitted_ensemble_grows_keeps_the_refitted_model(monkeypatch):
    """The refit has finished: Ctrl-C while more members train ends the run with it."""
    import orthotune.autopilot._loop as loop

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop, "grow_refitted", interrupted)
    _, result = _tiny_run(small_data=10, refit=True)
    assert result.log.refit.startswith("refit on the") and result.log.refit_seconds > 0
    assert result.log.stop_reason == StopReason.INTERRUPTED
    assert result.log.stop_message.endswith("while the ensemble grew")
    assert result.test_wrong is not None  # scored: the run ends as one that stopped there


@pytest.mark.slow
@pytest.mark.parametrize("refit", [True, False])
def test_the_loop_leaves_the_refit_its_share_of_the_budget(refit, clock):
    """Where models are dear the loop would spend the whole budget and the refit never ran.
    Here step 0's hook moves the clock on until the time left is the refit's share
    (``REFIT_MARGIN`` × the kept baseline's seconds × (train + dev) / train): the loop stops there
    and the refit runs. With the refit off the same time left leaves the loop a step to train."""
    data, start = _synthetic(500, 16, 15)  # a refit of seconds: fixed overheads stay small
    budget = 16.0  # the share must fit in what is left after step 0
    t0 = time.monotonic()
    settings = AutopilotSettings(
        budget_s=budget, start=start, learning_curve=False, polish=False, small_data=10,
        refit=refit,
    )  # fmt: skip
    share = []

    def on_step(step):
        if step.index == 0:
            (kept,) = [v for v in step.variants if v.accepted]
            cost = kept.seconds * (len(data.train) + len(data.dev)) / len(data.train)
            share.append(REFIT_MARGIN * cost)
            clock.skip(t0 + budget - share[0] - time.monotonic() + 0.01)

    result = run_autopilot(data, settings, on_step=on_step, started=t0)
    assert share[0] < budget / 2  # the skip happened within the budget
    steps = [s.problem for s in result.log.steps]
    if refit:
        assert result.log.stop_reason == StopReason.BUDGET_SPENT
        assert result.log.stop_message == (
            f"the 16 s budget is spent, but for the {share[0]:.0f} s kept for the refit"
        )
        assert steps == ["baseline"], steps  # no variant started in the refit's time
        assert result.log.refit_seconds > 0, result.log.refit
    else:
        assert len(steps) > 1 and not result.log.refit, (steps, result.log.refit)


def test_a_refit_is_started_only_when_the_time_left_covers_most_of_its_estimate():
    from orthotune.autopilot._loop import REFIT_START, _refit_fits

    assert REFIT_START == 0.85
    # MNIST-1D seed 1 (2026-12-05): an ensemble's refit estimated at 30.7 s, 20 s left: it was
    # started under the old rule (half the estimate) and cut; now it is not
    assert not _refit_fits(30.7, 20.0)
    assert _refit_fits(31.2, 39.0)  # the loop's usual share (1.25 × the estimate)
    assert _refit_fits(40.0, 34.0) and not _refit_fits(40.0, 33.9)  # the bound: 0.85 × 40


@pytest.mark.slow
def test_a_refit_that_cannot_finish_is_not_started(clock):
    """Step 0's hook leaves 0.3 s of the budget, far less than ``REFIT_START`` of what the refit
    of a 1000-epoch model needs (200 epochs were estimated at under 0.6 s on a 2-core Intel Xeon,
    so that refit was started under the rule of the day, half the estimate): the refit is not
    started (cut at the deadline it would be lost) and the log says why."""
    data, start = _synthetic(500, 16, 1000)
    budget = 30.0
    t0 = time.monotonic()
    settings = AutopilotSettings(
        budget_s=budget, start=start, learning_curve=False, polish=False, small_data=10,
        refit=True,
    )  # fmt: skip

    def on_step(step):
        if step.index == 0:
            clock.skip(t0 + budget - 0.3 - time.monotonic())

    result = run_autopilot(data, settings, on_step=on_step, started=t0)
    spent = time.monotonic() - t0
    said = re.fullmatch(
        r"the refit was not started: it needs about ([\d.]+) s, and (0(?:\.\d+)?) s are left: the "
        r"chosen model stays",
        result.log.refit,
    )
    assert said, result.log.refit  # to a tenth: "about 0 s, and 0 s are left" read as fitting
    assert 0.85 * float(said[1]) > float(said[2])
    assert result.log.refit_seconds == 0.0
    assert spent < budget + 1.0, spent


@pytest.mark.slow
@pytest.mark.parametrize("estimate", ["measured", "none"])
def test_a_step_that_cannot_finish_is_not_started_or_says_it_was_cut(estimate, monkeypatch, clock):
    """Step 0's hook leaves 0.3 s of the budget, less than a 2000-epoch model needs (a
    200-epoch one trained in about 0.3 s on a fast box, and the premise failed). The next
    step is not started: its line gives the seconds its variants need and those left. With no
    estimate (one that says it fits), its variants are cut short, and its line says that none
    was compared (not that none beat the noise)."""
    import orthotune.autopilot._loop as loop

    if estimate == "none":
        monkeypatch.setattr(loop, "_variant_costs", lambda options, current: [0.0] * len(options))
    data, start = _synthetic(500, 16, 2000)
    budget = 30.0
    t0 = time.monotonic()
    settings = AutopilotSettings(
        budget_s=budget, start=start, learning_curve=False, polish=False, small_data=10,
        refit=False, max_steps=1,  # a forced estimate would otherwise go on knob after knob
    )  # fmt: skip

    def on_step(step):
        if step.index == 0:
            clock.skip(t0 + budget - 0.3 - time.monotonic())

    result = run_autopilot(data, settings, on_step=on_step, started=t0)
    _, step = result.log.steps
    words = step.knob.replace("_", " ")
    assert step.kept is None and all(not v.accepted for v in step.variants)
    if estimate == "none":
        assert step.why == f"the time budget cut every variant of {words} short: none compared"
        assert step.variants
    else:
        assert not step.variants and step.why.startswith(f"{words} not tried: its cheapest")
        need = float(step.why.split("about ")[1].split(" s")[0])
        left = float(step.why.split(", and ")[1].split(" s")[0])
        base = result.log.steps[0]
        (kept,) = [v for v in base.variants if v.accepted]
        assert need + 0.5 >= 0.9 * kept.seconds and left <= 0.3  # ≥ the baseline, to 1 s
        # not even a model as dear as the baseline fits: the loop ends there, not knob by knob
        assert result.log.stop_reason == StopReason.BUDGET_SPENT
        assert re.fullmatch(r"the 0\.\d s left cannot fit one more model", result.log.stop_message)


def test_a_stop_after_knobs_that_did_not_fit_names_them(monkeypatch):
    """A sweep's run ended "no tunable knob lowered any remaining error beyond the noise"
    where "train longer" had not been tried (it needed 20 s, 18 were left): the stop names
    the knobs that did not fit. Here no variant fits, yet the time left fits the current
    model, so the loop goes knob by knob and ends for want of a knob."""
    import orthotune.autopilot._loop as loop

    monkeypatch.setattr(loop, "_variant_costs", lambda options, current: [1e6] * len(options))
    data, start = _synthetic(300, 8, 3)
    settings = AutopilotSettings(
        budget_s=600, start=start, learning_curve=False, polish=False, refit=False, yardstick=False
    )
    result = run_autopilot(data, settings)
    log = result.log
    skipped = [s.knob.replace("_", " ") for s in log.steps[1:]]
    assert skipped and all(s.why.endswith("s are left") for s in log.steps[1:])
    assert log.stop_reason == StopReason.NO_KNOB_HELPS
    assert log.stop_message == (
        "no tunable knob that fitted in the time left lowered any remaining error beyond the "
        f"noise (not tried in full for want of time: {', '.join(dict.fromkeys(skipped))})"
    )


def test_a_step_starts_the_variants_that_fit_in_the_menus_order():
    from orthotune.autopilot._loop import _fitting

    assert _fitting([120.0, 50.0, 30.0], 100.0) == [1, 2]  # the dear one is not started
    assert _fitting([60.0, 50.0, 30.0], 100.0) == [0, 2]
    assert _fitting([60.0, 50.0], 40.0) == []
    assert _fitting([5.0, 5.0], float("inf")) == [0, 1]  # a count budget: no end in time


@pytest.mark.parametrize("folds", [None, 3])
def test_the_polish_ensemble_is_scored_as_one_model_and_saved_as_one(tmp_path, folds):
    from orthotune.autopilot._polish import _ensemble_of
    from orthotune.fit import train_candidates
    from orthotune.train import Manifest, load_checkpoint, predict_logits, save_checkpoint

    ds = load_dataset("builtin:synthetic?n=300&classes=3&features=6&seed=4")
    data = prepare(ds, make_split(ds, seed=0))
    config = TrainConfig(lr=1e-2, epochs=3, batch_size=64)
    cands = [
        Candidate(f"s{k}", SPEC.model_copy(update={"input_shape": (6,)}), config, k)
        for k in range(3)
    ]
    members = train_candidates(cands, data, folds=folds, device="cpu")
    ens = _ensemble_of(members, data, torch.device("cpu"))
    probs = torch.stack([m.model(data.train.x).softmax(-1) for m in members]).mean(0)
    assert torch.equal(ens.wrong["train"], probs.argmax(1) != data.train.y)
    if folds is None:  # dev: the ensemble's own predictions
        dev = torch.stack([m.model(data.dev.x).softmax(-1) for m in members]).mean(0)
        assert torch.equal(ens.wrong["dev"], dev.argmax(1) != data.dev.y)
    else:  # out of fold: the members' out-of-fold probabilities averaged
        oof = torch.stack([m.dev_logits.softmax(-1) for m in members]).mean(0)
        assert torch.equal(ens.wrong["dev"], oof.argmax(1) != ens.dev_y)
    manifest = Manifest(name="ensemble", spec=members[0].candidate.spec, class_names=ds.class_names)
    save_checkpoint(tmp_path / "ensemble", ens.model, manifest)
    loaded, _ = load_checkpoint(tmp_path / "ensemble")
    torch.testing.assert_close(
        predict_logits(loaded, data.dev.x), predict_logits(ens.model, data.dev.x)
    )


def _small_start():
    """A small 3-class set and a tiny MLP start that trains in a second."""
    ds = load_dataset("builtin:synthetic?n=500&classes=3&features=6&seed=4")
    start = (
        ModelSpec(input_shape=ds.input_shape, num_classes=3, hidden=(16,)),
        TrainConfig(lr=1e-2, epochs=2, batch_size=64),
    )
    return prepare(ds, make_split(ds, seed=0)), start


def test_the_budget_clock_starts_when_the_job_started():
    """Time the job spent before the loop (loading, preparing the data) counts: a clock that
    started a whole budget ago leaves the baseline only — no step, no polish."""
    data, start = _small_start()
    budget = 600.0
    settings = AutopilotSettings(budget_s=budget, start=start, learning_curve=False)
    result = run_autopilot(data, settings, started=time.monotonic() - budget)
    assert result.log.stop_reason == StopReason.BUDGET_SPENT, result.log.stop_message
    assert [s.problem for s in result.log.steps if s.problem == "polish"] == []
    assert len(result.trained) == 1


def test_ctrl_c_between_two_trainings_keeps_the_model_so_far():
    """Ctrl-C that lands outside training (here in the step hook, right after the baseline's
    line was shown) stops the loop as one during training does: interrupted, baseline kept."""
    data, start = _small_start()
    settings = AutopilotSettings(budget_s=600.0, start=start, learning_curve=False)

    def on_step(step):
        raise KeyboardInterrupt

    result = run_autopilot(data, settings, on_step=on_step)
    assert result.log.stop_reason == StopReason.INTERRUPTED, result.log.stop_message
    assert "Ctrl-C" in result.log.stop_message
    assert result.chosen.candidate.name == "baseline" and len(result.log.steps) == 1


def _fixed_runs(rows_wrong: dict[tuple[float, int], int], n: int = 400):
    """A ``train`` whose model of learning rate lr and seed s gets the first
    ``rows_wrong[(lr, s)]`` (else ``rows_wrong[(lr, -1)]``) of n dev rows wrong: known answers
    for the decision, not for training."""

    def train(cands):
        out = []
        for c in cands:
            k = rows_wrong.get((c.config.lr, c.seed), rows_wrong.get((c.config.lr, -1)))
            wrong = torch.zeros(n, dtype=torch.bool)
            wrong[:k] = True
            out.append(Trained(c, torch.nn.Identity(), wrong={"train": wrong, "dev": wrong}))
        return out

    return train


def test_the_search_keeps_a_trial_that_beats_the_model_on_fresh_seeds_not_a_lucky_one():
    from orthotune.autopilot._polish import _confirm, _Phase

    model, lucky, real, worse = 1e-2, 2e-2, 3e-2, 4e-2
    # the model: 80 of 400 wrong; "lucky": 20 on the seed it was picked on (0), 80 on any
    # other; "real": 40 on every seed; "worse": 120
    train = _fixed_runs(
        {(model, -1): 80, (lucky, 0): 20, (lucky, -1): 80, (real, -1): 40, (worse, -1): 120}
    )
    steps = []
    phase = _Phase(train, None, float("inf"), time.monotonic(), "cpu", 1e-3, steps, None, None)

    def trial(lr):
        (r,) = train([Candidate(f"t{lr}", SPEC, CONFIG.model_copy(update={"lr": lr}), 0)])
        return {"lr_factor": lr / model}, r

    (current,) = train([Candidate("m", SPEC, CONFIG, 0)])
    tried = [trial(lr) for lr in (lucky, real, worse)]
    kept, runs = _confirm(current, [current], tried, phase, seed=0)
    assert kept.candidate.config.lr == real
    assert sorted(r.candidate.seed for r in runs) == [0, 1, 2]  # the ensemble reuses them
    (step,) = steps
    assert step.knob == "confirm search" and step.kept == kept.candidate.name
    scores = {v.label.split(":")[0]: v for v in step.variants}
    assert set(scores) == {f"t{lucky}", f"t{real}"}  # "worse" was not below the model
    # compared on the fresh seeds 1 and 2 only: the lucky trial's 20 wrong rows do not count
    assert scores[f"t{lucky}"].target_change == pytest.approx(0.0)
    assert scores[f"t{real}"].target_change == pytest.approx(-0.10)
    assert scores[f"t{real}"].p_adjusted is not None and scores[f"t{real}"].accepted
    # nothing better: the model stays, and its fresh seeds join its runs
    steps.clear()
    tried = [trial(lucky)]
    kept, runs = _confirm(current, [current], tried, phase, seed=0)
    assert kept is current and sorted(r.candidate.seed for r in runs) == [0, 1, 2]
    assert steps[0].kept is None and "none of the 1 best trials" in steps[0].why
    # the search said its best trials would be re-measured: a budget that cannot fit their
    # fresh seeds trains nothing and says so
    steps.clear()
    phase.deadline = time.monotonic()
    kept, runs = _confirm(current, [current], [trial(real)], phase, seed=0)
    assert kept is current and len(runs) == 1 and runs[0] is current
    (step,) = steps
    assert step.knob == "confirm search" and step.kept is None and not step.variants
    assert (
        step.why == "the budget left cannot fit fresh seeds for any of the 1 best trials: none kept"
    )


def test_the_ensemble_is_compared_with_each_of_its_members():
    """Its change is its dev error minus its members' mean dev error (not one member's), and
    the interval counts the members' spread."""
    from orthotune.autopilot._polish import MAX_MEMBERS, _ensemble, _Phase
    from orthotune.fit import train_candidates

    data, (spec, config) = _small_start()
    steps = []

    def train(cands):
        return train_candidates(cands, data, device="cpu")

    more = []
    phase = _Phase(
        train, data, float("inf"), time.monotonic(), "cpu", 1e-3, steps, None,
        lambda r, step, problem: more.append(r),
    )  # fmt: skip
    (current,) = train([Candidate("m", spec, config, 0)])
    _, why = _ensemble(current, [current], phase, seed=0)
    (score,) = steps[0].variants
    members = [current, *more[: MAX_MEMBERS - 1]]  # the ensemble decided on; then it may grow
    assert len(members) == MAX_MEMBERS and why == _said(len(more) + 1, score.accepted)
    mean = sum(m.error("dev") for m in members) / len(members)
    assert score.target_change == pytest.approx(score.errors["dev"] - mean)
    assert mean != pytest.approx(current.error("dev"))  # so the test tells the two apart
    assert f"{MAX_MEMBERS} seeds" in score.why


def _ensemble_of_tiny_models(alone_s=None, **phase_kw):
    """The ensemble move on tiny models, sized at first by an estimate of 40 s per model with
    100 s left (``alone_s``: the single model's seconds); returns the batches it trained, its
    phase and why it ended."""
    from orthotune.autopilot._polish import _ensemble, _Phase
    from orthotune.fit import train_candidates

    data, (spec, config) = _small_start()
    batches = []

    def train(cands):
        batches.append(len(cands))
        return train_candidates(cands, data, device="cpu")

    (current,) = train([Candidate("m", spec, config, 0)])
    if alone_s is not None:  # what the single model cost, as if it had trained alone
        current = dataclasses.replace(current, seconds=alone_s)
    batches.clear()
    phase = _Phase(train, data, time.monotonic() + 100.0, time.monotonic(), "cpu",
                   40.0 / config.epochs, [], None, None, **phase_kw)  # fmt: skip
    _, why = _ensemble(current, [current], phase, seed=0)
    return batches, phase, why


@pytest.mark.parametrize("models_left", [None, 5])
def test_the_ensemble_grows_batch_after_batch_while_members_fit(models_left):
    """Sized at first by a cost estimate far above what its tiny models take, the ensemble
    does not stop at the members that estimate fitted: each batch's measured cost (the
    estimate halves at most per batch) sizes the next, up to ``MAX_MEMBERS`` or what a count
    budget has left."""
    from orthotune.autopilot._polish import MAX_MEMBERS

    # 40 s per model with 100 s left: 2 members fit by the first estimate
    batches, phase, why = _ensemble_of_tiny_models(models_left=models_left)
    if models_left is None:  # then 20 s per model: 4 more; then 10 s: the last one
        assert batches[:3] == [2, 4, 1]
    else:  # the count budget's 5 models: 2, then 3
        assert batches == [2, 3] and phase.models_left == 0
    (score,) = phase.steps[0].variants
    if models_left is not None:
        assert why == _said(6, score.accepted)
    assert f"ensemble of {1 + sum(batches[:3])} seeds" in score.label
    assert score.accepted == (phase.steps[0].kept == "ensemble")
    if models_left is None and score.accepted:  # then it grows: the next test
        assert len(phase.steps) == 2 and batches[3:]
    elif models_left is None:
        assert batches == [2, 4, 1] and why == _said(MAX_MEMBERS, False)


def test_an_ensemble_whose_members_the_budget_cut_still_records_each_as_a_trial():
    """Members cut at the deadline build no ensemble, but they trained (or were never
    started): each is handed to ``on_trained`` in a logged step, so the study holds every
    model the run counts (a 25 s run on a loaded box: 16 trials for 23 models)."""
    from orthotune.autopilot._polish import _ensemble, _Phase
    from orthotune.fit import train_candidates

    data, (spec, config) = _small_start()
    (current,) = train_candidates([Candidate("m", spec, config, 0)], data, device="cpu")
    trained, recorded = [], []

    def train(cands):  # the deadline has passed: every member is cut
        out = train_candidates(cands, data, device="cpu", deadline=time.monotonic())
        trained.extend(out)
        return out

    phase = _Phase(
        train, data, time.monotonic() + 100.0, time.monotonic(), "cpu", 1e-3, [], None,
        lambda r, step, problem: recorded.append((r, step)),
    )  # fmt: skip
    model, why = _ensemble(current, [current], phase, seed=0)
    assert model is current and why == "the budget cut the ensemble's members short"
    assert trained and not any(r.complete for r in trained)
    (step,) = phase.steps
    assert step.kept is None and step.why == f"{why}: no ensemble built"
    assert [r for r, _ in recorded] == trained and all(s is step for _, s in recorded)


def test_every_member_of_the_ensemble_brings_its_refit_share():
    """The loop keeps the final refit's share for one model; an ensemble of k seeds is refitted
    as k models, so each member beyond the first needs its share too (MNIST-1D seed 1, dev
    data: a 6-seed ensemble's refit, sized for one model, was cut at the deadline after 67 s).
    Same start as above, each refit 30 s: 1 member fits (40 + 30 s of 100), then, the estimate
    halved, 1 more (20 + 30 s of the 70 s beside one member's refit), then none (10 + 30 s do
    not fit in the 40 s left beside two) — 8 members without the refit."""
    batches, phase, why = _ensemble_of_tiny_models(refit_s=30.0)
    assert batches == [1, 1] and why == _said(3, phase.steps[0].variants[0].accepted)


def test_the_members_refit_share_follows_what_a_model_costs_in_a_population():
    """The members refit at once, as they trained: each one's share is the single model's,
    scaled by a population's cost per model over the single model's (at most 1). The single
    model cost 80 s, the first estimate 40 s (shares of 15 s), then 20 s (7.5 s), then 10 s
    (3.75 s): 1 member fits (40 + 15 s of 100), then 3 (20 + 7.5 s in the 92.5 s left beside
    one member's refit), then the last 3 — against 3 members with 30 s each (the test above)."""
    batches, phase, _ = _ensemble_of_tiny_models(refit_s=30.0, alone_s=80.0)
    assert batches[:3] == [1, 3, 3] and "ensemble of 8 seeds" in phase.steps[0].variants[0].label
    _, (spec, config) = _small_start()
    single = Trained(Candidate("m", spec, config, 0), None, history=[{}, {}], seconds=40.0)
    phase.per_epoch_s = 10.0  # its 2 epochs: 20 s a model now, of 40
    assert phase.member_refit_s(single) == pytest.approx(15.0)
    phase.per_epoch_s = 40.0  # dearer than the single model: its share, no more
    assert phase.member_refit_s(single) == pytest.approx(30.0)


def test_a_kept_ensemble_at_its_size_grows_with_the_time_its_sizing_left():
    """Kept at ``MAX_MEMBERS`` with time left (the estimates fell from 40 to 5 s per model),
    the ensemble grows while one more member and its refit share fit, up to ``GROWN``, in a
    step of its own; the phase then ends with time left, and says so (mn_police_use_of_force,
    90 s: 5-15 s idle after "the ensemble is built (16 members)")."""
    from orthotune.autopilot._polish import GROWN, MAX_MEMBERS

    batches, phase, why = _ensemble_of_tiny_models(refit_s=30.0, alone_s=80.0)
    first, grown = phase.steps
    assert (
        first.kept == "ensemble" and f"ensemble of {MAX_MEMBERS} seeds" in first.variants[0].label
    )
    assert batches == [1, 3, 3, GROWN - MAX_MEMBERS]
    said = re.fullmatch(
        rf"the ensemble is built \({GROWN} members, the most it grows to: its latency is that "
        r"of all of them\); (\d+) s of the budget are left over",
        why,
    )
    assert said and 50 < int(said.group(1)) <= 100
    assert grown.kept == "ensemble" and grown.variants[0].accepted
    sized, now = first.variants[0].errors["dev"], grown.variants[0].errors["dev"]
    assert grown.why == (  # a dev error that rose read as a choice ("kept")
        f"the time left after {MAX_MEMBERS} members grew the kept ensemble to {GROWN} (at most "
        f"{GROWN}): more seeds of the configuration kept; its dev error {sized:.2%} → "
        f"{now:.2%}, no choice made on it"
    )
    assert f"ensemble grown to {GROWN} seeds" in grown.variants[0].label


def test_the_polish_counts_its_costs_per_model_epoch():
    """A model of twice the epochs costs twice the time; a reserve is kept aside."""
    from orthotune.autopilot._polish import _Phase

    phase = _Phase(None, None, time.monotonic() + 100.0, time.monotonic(), "cpu", 0.1, [], None,
                   None, record_s=0.5)  # fmt: skip
    assert phase.seconds(3, 10) == pytest.approx(3 * (0.1 * 10 + 0.5))
    assert phase.affordable(10) == 66  # 99.9… s / 1.5 s
    assert phase.affordable(20) == 39  # 99.9… s / 2.5 s
    assert phase.affordable(10, reserve=49.0) == 33  # 50.9… s / 1.5 s
    assert phase.affordable(10, reserve=49.0, each=1.5) == 16  # 50.9… s / 3 s
    assert phase.fits(39, 20) and not phase.fits(40, 20)
    phase.models_left = 5  # a count budget caps it
    assert phase.affordable(1) == 5


def test_the_local_search_moves_the_count_of_chosen_features_within_a_third_and_three_times():
    from orthotune.autopilot._polish import _with_inputs
    from orthotune.models import ModelSpec

    spec = ModelSpec(input_shape=(300,), num_classes=2, select=30)
    assert _with_inputs(spec, 1 / 3).select == 10
    assert _with_inputs(spec, 1.0) is spec
    assert _with_inputs(spec, 3.0).select == 90
    assert _with_inputs(spec.model_copy(update={"select": 150}), 3.0).select is None  # all 300
    assert _with_inputs(spec.model_copy(update={"select": 1}), 1 / 3).select == 1
    every = ModelSpec(input_shape=(300,), num_classes=2)
    assert _with_inputs(every, 2.0) is every


def _lucky_search(cost: float, trained: list, n: int = 400):
    """A ``train`` that takes ``cost`` seconds a model of ``CONFIG``'s epochs (in proportion to
    a model's epochs, as the polish's estimates assume) and appends what it trains to
    ``trained``: every local-search trial (named ``s…``) gets 20 of n dev rows wrong on the
    seed it was picked on (0), every other model 80."""

    def train(cands):
        time.sleep(cost * sum(c.config.epochs for c in cands) / CONFIG.epochs)
        out = []
        for c in cands:
            wrong = 20 if c.name.startswith("s") and c.seed == 0 else 80
            (r,) = _fixed_runs({(c.config.lr, -1): wrong}, n)([c])
            r.history = [None] * c.config.epochs
            out.append(r)
        trained.extend(out)
        return out

    return train


def test_the_time_an_ensemble_leaves_goes_back_to_the_local_search():
    """After an ensemble that was not kept, the local search runs again while the budget left
    fits two trials besides a confirmation. Every trial is lucky on the seed it was picked on
    (20 of 400 dev rows wrong against the model's 80) and no better on fresh seeds: the
    confirmation keeps nothing, and the search has trained until the deadline left no room."""
    from orthotune.autopilot._polish import SEEDS, _more_rounds, _Phase

    cost = 0.05  # seconds per model
    trained = []
    train = _lucky_search(cost, trained)

    steps = []
    budget = 3.0
    phase = _Phase(train, None, time.monotonic() + budget, time.monotonic(), "cpu",
                   cost / CONFIG.epochs, steps, None, None)  # fmt: skip
    (current,) = _fixed_runs({(CONFIG.lr, -1): 80})([Candidate("m", SPEC, CONFIG, 0)])
    kept, rounds = _more_rounds(current, [current], [], phase, seed=0, goal=lambda r: False)
    assert kept is current and rounds >= 1
    assert [s.knob for s in steps][:2] == ["local search", "confirm search"]
    assert all(s.kept is None for s in steps)
    searched = [r for r in trained if r.candidate.name.startswith("s")]
    assert len(searched) >= 10  # ~2.5 s of 0.05 s trials, 0.1 s for those of twice the epochs
    logged = [v.name for s in steps if s.knob == "local search" for v in s.variants]
    assert sorted(logged) == sorted(r.candidate.name for r in searched)  # each round its own
    # the model's fresh seeds were trained once, by the first confirmation
    mine = [r.candidate.seed for r in trained if r.candidate.config == CONFIG]
    assert sorted(mine) == list(range(1, SEEDS + 1))
    # what is left could not fit two trials of twice the epochs and a confirmation (slack 1.5)
    assert phase.left() < 2 * 2 * cost + 1.5 * 3 * SEEDS * 2 * cost


def test_a_rounds_first_batch_leaves_room_to_confirm_what_it_finds():
    """With time for 7 trials of the longest epochs, a round's first batch trains 4 (8 at
    most): the time of 2 more seeds of its longest trial (slack 1.5) stays for the
    confirmation, which re-measures the best trial it found rather than saying that the
    budget cannot fit it."""
    from orthotune.autopilot._polish import EPOCHS_FACTOR, SEEDS, SLACK, _more_rounds, _Phase

    cost = 0.05  # seconds per model of CONFIG's epochs
    longest = cost * EPOCHS_FACTOR[1]
    trained, steps = [], []
    budget = 7.5 * longest
    phase = _Phase(_lucky_search(cost, trained), None, time.monotonic() + budget,
                   time.monotonic(), "cpu", cost / CONFIG.epochs, steps, None, None)  # fmt: skip
    (current,) = _fixed_runs({(CONFIG.lr, -1): 80})([Candidate("m", SPEC, CONFIG, 0)])
    _more_rounds(current, [current], [], phase, seed=0, goal=lambda r: False)
    first, confirm = steps[0], steps[1]
    assert first.knob == "local search" and confirm.knob == "confirm search"
    assert len(first.variants) == int((budget - SLACK * SEEDS * longest) / longest) == 4
    assert confirm.variants and "cannot fit" not in confirm.why


def test_the_polish_hands_an_ensemble_not_kept_back_to_the_local_search_and_says_so():
    """``polish`` end to end: no contender to re-measure; every search trial is lucky on the
    seed it was picked on and no better on fresh seeds; the members' seeds all get the same 80
    of 400 dev rows wrong, so their ensemble does too and is not kept. The time it leaves goes
    to more rounds of local search, which the phase's end names, until what is left cannot fit
    two trials and a confirmation."""
    import types

    from orthotune.autopilot._polish import MAX_MEMBERS, SEEDS, polish
    from orthotune.data import Part

    # seconds per model (large beside the sampler's own time, which the estimates leave out);
    # dev rows
    cost, n = 0.1, 400
    y = torch.zeros(n, dtype=torch.long)
    x = torch.nn.functional.one_hot(y, 2).float()
    x[:80] = torch.tensor([0.0, 1.0])  # an identity "network" gets the first 80 rows wrong
    part = Part(x, y, None, np.arange(n), None)
    data = types.SimpleNamespace(parts=lambda: {"train": part, "dev": part})
    trained = []
    train = _lucky_search(cost, trained, n)

    (current,) = _fixed_runs({(CONFIG.lr, -1): 80}, n)([Candidate("m", SPEC, CONFIG, 0)])
    current.history = [None] * CONFIG.epochs
    current.seconds = cost
    steps = []
    deadline = time.monotonic() + 6.0
    kept, why = polish(
        current,
        [],
        train=train,
        data=data,
        deadline=deadline,
        started=time.monotonic(),
        device="cpu",
        seed=0,
        steps=steps,
        goal=lambda r: False,
    )
    assert kept is current
    knobs = [s.knob for s in steps]
    assert knobs[:3] == ["local search", "confirm search", "ensemble"], knobs
    assert knobs[3:5] == ["local search", "confirm search"], knobs  # a round after it
    rounds = knobs[3:].count("local search")
    word = "round" if rounds == 1 else "rounds"
    (ensemble,) = steps[2].variants
    k = int(ensemble.label.split()[2])  # "ensemble of K seeds …": MAX_MEMBERS unless cut short
    assert 2 <= k <= MAX_MEMBERS
    assert why == (
        f"{_said(k, False)}; the time it left went to {rounds} more {word} of local search, "
        "until the budget left could not fit two more trials"
    )
    assert all(s.kept is None for s in steps)
    # what is left could not fit two trials of twice the epochs and a confirmation (slack 1.5)
    assert deadline - time.monotonic() < 2 * 2 * cost + 1.5 * 3 * SEEDS * 2 * cost
    members = [r for r in trained if r.candidate.config == CONFIG]
    assert len({r.candidate.seed for r in members}) == k - 1  # the model is one of them


def test_two_contenders_of_one_label_are_told_apart_by_the_model_they_varied():
    """ "dropout 0.2 (mean of 3 seeds): dev 5.19 %, …, dropout 0.2 (mean of 3 seeds): dev
    6.49 %": one varied the binned baseline, the other a model on chosen inputs."""
    from orthotune.autopilot._polish import _Phase, _remeasure
    from orthotune.fit import train_candidates

    data, (spec, config) = _small_start()
    steps = []

    def train(cands):
        return train_candidates(cands, data, device="cpu")

    phase = _Phase(train, data, float("inf"), time.monotonic(), "cpu", 1e-3, steps, None, None)
    (current,) = train([Candidate("m", spec, config, 0)])
    wide = spec.model_copy(update={"hidden": (24,)})
    a, b = train([Candidate("v1", spec, config.model_copy(update={"lr": 3e-2}), 0),
                  Candidate("v2", wide, config, 0)])  # fmt: skip
    contenders = [
        Contender("dropout 0.2", a, Candidate("baseline", spec, config)),
        Contender("dropout 0.2", b, Candidate("v0", wide, config)),
    ]
    _remeasure(current, contenders, phase, seed=0)
    labels = [v.label.split(" (mean")[0] for v in steps[0].variants]
    assert {"dropout 0.2 (on baseline)", "dropout 0.2 (on v0)"} <= set(labels), labels


def test_a_seed_the_deadline_cut_is_not_averaged_in_as_no_error():
    # womenlf (a new-user sweep): "mean of 2 seeds: dev 18.33 %" where the one measured seed
    # said 36.67 % and the other was cut (its error counted as 0 %)
    from orthotune.autopilot._polish import _score
    from orthotune.fit import train_candidates

    data, (spec, config) = _small_start()
    (done,) = train_candidates([Candidate("a", spec, config, 0)], data, device="cpu")
    (cut,) = train_candidates(
        [Candidate("b", spec, config, 1)], data, device="cpu", deadline=time.monotonic()
    )
    assert done.errors and not cut.wrong
    for runs in ([done, cut], [cut, done]):
        score = _score("p1", "s1", runs, None, "cut short by the time budget")
        assert score.errors == pytest.approx(done.errors) and score.seeds == 1
    assert _score("p1", "s1", [cut], None, "cut").errors == {}


def test_the_chosen_ensembles_label_says_what_its_refit_grew():
    """A sweep's birds: "chosen model ensemble (ensemble of 4 seeds (probabilities averaged))"
    above "an ensemble of 16 networks": the refit's leftover time had added 12."""
    from orthotune._records import DecisionLog, Step, VariantScore

    said = "ensemble of 4 seeds (probabilities averaged)"
    step = Step(index=5, problem="polish", knob="ensemble",
                variants=[VariantScore(name="ensemble", label=said, accepted=True)])  # fmt: skip
    log = DecisionLog(steps=[step], chosen="ensemble")
    assert log.label("ensemble") == said
    grown = log.model_copy(update={"grown": 12})
    assert grown.label("ensemble") == f"{said}; 12 more trained on train + dev"
    other = grown.model_copy(update={"chosen": "v3"})
    assert other.label("ensemble") == said  # only the chosen model was grown
