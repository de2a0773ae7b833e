"""The polish phase: after the orthogonal loop, the rest of the budget goes to moves that
reliably help, each decided on dev (or out of fold) with a comparison that accounts for the
noise and for having picked the best of several.

1. **Re-measure** the closest contenders — the loop's variants whose point estimate beat the
   model they were compared with, best dev error first — and the **combination** of the knobs
   that helped the current model: every one of them, and the current model, trained with
   ``SEEDS`` more seeds at once (one population per shape). Each contender's change against
   the current model is ``seeded_change`` over the seeds they share (dev-sampling plus
   training-seed noise), Holm-adjusted over the contenders; the best one beyond the noise is
   kept.
2. **Local search** around the model kept (Optuna TPE, ``multivariate``, the model itself
   entered as trial 0 with its measured value): learning rate ×¼…×4, L2 ×⅒…×10, epochs
   ×½…×2, label smoothing 0…0.1, and for a model that reads chosen features
   (``ModelSpec.select``) their count ×⅓…×3 — the loop's ``input_selection`` moves by a third
   and a tenth, so a count between its steps, with the training settings that suit it, is
   found here; batches of up to ``BATCH`` trials trained at once, while the
   budget left fits two more models besides the confirmation's and the ensemble's shares.
   **Confirmation**: the ``CONTENDERS`` trials with the lowest dev error below the model's are
   trained again with ``SEEDS`` fresh seeds, beside the model with the same seeds, and compared
   on those seeds only (``seeded_change``, Holm over the contenders); the best one beyond the
   noise is kept. A trial picked as the best of hundreds on one seed carries that seed's
   luck, which fresh seeds do not share. Holm over every trial instead asked a p-value below
   0.0035 % of a single-seed comparison after 728 trials, and kept nothing on hpc_data while
   the search's best trials stood 1.7–1.9 points below the model on its 866 dev rows; with
   fresh seeds they came back to 17.6–18.4 %, the model's level, and on the 8 development
   tables the best trial's luck on its seed was worth 0–2.3 points (dev figures, seed 0, 300 s,
   README). The dev rows stay those the trials were picked on: what that costs
   shows as the test − dev gap (dev overfitting) in the diagnosis.
3. **Ensemble** of the configuration kept: its seeds trained at once (those already trained
   reused), as many as the budget left fits up to ``MAX_MEMBERS``, each member with its share
   of the final refit on train + dev (the loop keeps one model's) — batch after batch, since
   a population costs less per member than the single model its first batch was sized by,
   so the time that batch leaves may fit more; probabilities averaged
   (``models.Ensemble``). Kept only when it beats the single model on dev beyond the noise:
   its change is ``seeded_change`` against each of its members (the per-example mistakes of
   the ensemble against those of the members, plus the spread over members), since the single
   model is any one of its seeds. A kept ensemble of ``MAX_MEMBERS`` then grows, batch after
   batch, while one more member and its refit share fit, up to ``GROWN`` (its own step in the
   log): the time its sizing kept aside and did not use.

An ensemble not kept hands back the time kept aside for it (its members' refit, the slack):
the local search runs again, round after round, each confirmed as above, while two trials and
a confirmation fit. ``SLACK`` applies to a model a population trains; one that trains alone
costs the same per model however many are asked.

The phase stops at the goal, when the budget left cannot fit one more model, or when the
ensemble is built (kept, and grown while members fit up to ``GROWN``; or not kept and the
rounds after it done) — and the log says which.
Never past the deadline: the executor starts nothing after it and cuts what runs at it (a cut
model is not comparable and is dropped).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

import torch

from orthotune._records import CUT_SHORT, Step, VariantScore
from orthotune.autopilot._compare import (
    PairedChange,
    adjust,
    describe,
    paired_change,
    seeded_change,
)
from orthotune.data import PreparedData
from orthotune.fit import Candidate, Trained, score_parts
from orthotune.models import Ensemble, ModelSpec
from orthotune.population import vectorization_problem
from orthotune.train import TrainConfig

__all__ = [
    "BATCH",
    "GROWN",
    "INTERRUPTED",
    "MAX_MEMBERS",
    "SEEDS",
    "Contender",
    "combine",
    "polish",
]

logger = logging.getLogger(__name__)

SEEDS = 2  # more seeds per re-measured configuration (3 with the first one)
CONTENDERS = 3  # closest contenders re-measured
BATCH = 8  # local-search trials trained at once
EPOCHS_FACTOR = (0.5, 2.0)  # a local-search trial's epochs, relative to the model's
MAX_MEMBERS = 8  # an ensemble's members, as the budget fits them (its latency: all of them)
# a kept ensemble of MAX_MEMBERS grows to this many at most with the time its sizing left
# (``SLACK``, estimates above the cost), so that the phase stops at the goal or when the budget
# left cannot fit one more model, as it does on every other path; its latency doubles at most
GROWN = 2 * MAX_MEMBERS
# the moves after the search get this many times the models they need: their populations are
# smaller than the search's batches, so a model costs more there (hpc_data, 300 s: with no
# slack the ensemble's members were cut at the deadline and it stayed at the 3 seeds it had)
SLACK = 1.5
INTERRUPTED = "interrupted by the user (Ctrl-C): the model kept so far stays"


@dataclass(frozen=True)
class Contender:
    """A variant of the loop whose point estimate helped: its result (first seed) and the
    candidate it varied (the combination applies its difference from that one)."""

    label: str
    trained: Trained
    base: Candidate


def _diff(new, old) -> dict:
    a, b = new.model_dump(), old.model_dump()
    return {k: v for k, v in a.items() if b.get(k) != v}


def combine(current: Candidate, contenders: list[Contender]) -> Candidate | None:
    """The current candidate with the changes of every contender that varied it (at least two,
    or the combination is one of them); None when there are fewer or they do not fit together
    (one sets what another sets differently)."""
    own = [c for c in contenders if c.base == current and c.trained.candidate.init is None]
    if len(own) < 2:
        return None
    spec_changes: dict = {}
    config_changes: dict = {}
    for c in own:
        for changes, diff in (
            (spec_changes, _diff(c.trained.candidate.spec, current.spec)),
            (config_changes, _diff(c.trained.candidate.config, current.config)),
        ):
            for k, v in diff.items():
                if k in changes and changes[k] != v:
                    return None
                changes[k] = v
    try:
        spec = ModelSpec.model_validate({**current.spec.model_dump(), **spec_changes})
        config = TrainConfig.model_validate({**current.config.model_dump(), **config_changes})
    except ValueError:
        return None
    return Candidate("combination", spec, config, current.seed, current.weights, current.init)


@dataclass
class _Phase:
    """What the polish moves share: how to train, the data, the clock."""

    train: Callable[[list[Candidate]], list[Trained]]
    data: PreparedData
    deadline: float
    started: float
    device: torch.device
    per_epoch_s: float  # estimated seconds per model and epoch in a population
    steps: list[Step]
    on_step: Callable[[Step], None] | None
    on_trained: Callable[[Trained, Step | None, str], None] | None
    models_left: int | None = None  # a count budget's models left (``AutopilotSettings.trials``)
    record_s: float = 0.0  # seconds ``on_trained`` takes per model (a study trial each)
    refit_s: float = 0.0  # seconds the final refit keeps per model (one is kept by the loop)
    counter: int = 0

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def seconds(self, models: int, epochs: int) -> float:
        """What ``models`` models of ``epochs`` epochs cost to train and record, at the latest
        measured cost. Counted per epoch: a local search's trials of half the model's epochs
        made a per-model estimate too low for the ensemble after it (synthetic, 300 s)."""
        return models * (self.per_epoch_s * epochs + self.record_s)

    def affordable(self, epochs: int, reserve: float = 0.0, each: float = 0.0) -> int:
        """How many more models of ``epochs`` epochs the budget left fits, ``reserve`` seconds
        kept aside for later moves, ``each`` more seconds per model (an ensemble member's
        refit), and no more than a count budget has left."""
        left = self.left() - reserve
        per = self.seconds(1, epochs) + each
        by_time = 1 << 30 if math.isinf(left) else max(0, int(left / per))
        return by_time if self.models_left is None else max(0, min(by_time, self.models_left))

    def member_refit_s(self, current: Trained) -> float:
        """The final refit's share for one more ensemble member of ``current``: ``refit_s``
        (sized by what ``current`` cost to train) times what a model of its epochs costs now in
        a population (``per_epoch_s``, the latest measured) over what ``current`` cost, at most
        1 — the members refit at once, as one population, as they trained, so a share sized
        for a model trained alone overstates theirs wherever a population pays. The rule has no
        parameter to choose; on the 9 development tables at 300 s (seed 0) every ensemble
        reached ``MAX_MEMBERS``, which no refit share bounded (README)."""
        now = self.per_epoch_s * max(len(current.history), 1)
        return self.refit_s * min(1.0, now / max(current.seconds, 1e-3))

    def fits(self, models: int, epochs: int) -> bool:
        return self.affordable(epochs) >= models

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def run(self, cands: list[Candidate]) -> list[Trained]:
        t0 = time.monotonic()
        out = self.train(cands)
        if self.models_left is not None:
            self.models_left -= len(cands)
        done = [r for r in out if r.complete and r.model is not None]
        if done:  # what an epoch costs when trained with others (the next move's estimate)
            epochs = sum(len(r.history) or r.candidate.config.epochs for r in done)
            self.per_epoch_s = max(self.per_epoch_s * 0.5, (time.monotonic() - t0) / epochs)
        return out

    def step(self, knob: str, target: str, scores, kept, why, t0) -> Step:
        """The next step of the log, as it stands now."""
        return Step(
            index=len(self.steps),
            problem="polish",
            knob=knob,
            target=target,
            variants=scores,
            kept=kept,
            why=why,
            seconds=time.monotonic() - t0,
            elapsed=time.monotonic() - self.started,
        )

    def log(self, knob: str, target: str, scores, kept, why, results, t0) -> None:
        step = self.step(knob, target, scores, kept, why, t0)
        self.steps.append(step)
        self.record(results, step)
        if self.on_step:
            self.on_step(step)

    def record(self, results: list[Trained], step: Step) -> None:
        """Hand ``results`` to ``on_trained`` as models of ``step``; learn what that costs."""
        if self.on_trained and results:
            t1 = time.monotonic()
            for r in results:
                self.on_trained(r, step, "polish")
            self.record_s = (time.monotonic() - t1) / len(results)


def _ok(r: Trained) -> bool:
    return r.complete and not r.failed and r.model is not None


def _score(name, label, runs: list[Trained], change: PairedChange | None, why, accepted=False):
    # the mean over the seeds that were measured: a seed the deadline cut has no error (it
    # counted as 0 %, and "mean of 2 seeds" read 18.33 % where the one measured said 36.67 %)
    measured = [r for r in runs if r.wrong]
    errors = {
        p: sum(r.error(p) for r in measured) / len(measured)
        for p in (measured[0].wrong if measured else ())
        if all(r.error(p) is not None for r in measured)
    }
    return VariantScore(
        name=name,
        label=label,
        errors=errors,
        seeds=len(measured),
        target_change=None if change is None else change.change,
        target_low=None if change is None else change.low,
        target_high=None if change is None else change.high,
        p_value=None if change is None else change.p,
        p_adjusted=None if change is None else change.p_adjusted,
        accepted=accepted,
        why=why,
        seconds=sum(r.seconds for r in runs),
    )


def _fresh(seed: int) -> list[int]:
    """The seeds a configuration is re-measured with (not the one it was picked on)."""
    return [seed + 1 + s for s in range(SEEDS)]


def _seeded(cand: Candidate, seeds: list[int], phase: _Phase) -> list[Candidate]:
    return [
        Candidate(phase.name("p"), cand.spec, cand.config, s, cand.weights, cand.init)
        for s in seeds
    ]


def _remeasure(
    current: Trained, contenders: list[Contender], phase: _Phase, seed: int
) -> tuple[Trained, list[Trained]]:
    """Move 1. Returns the model kept and every seed of its configuration."""
    t0 = time.monotonic()
    base = current.candidate
    seen = {(base.spec, base.config)}
    picked: list[tuple[str, Candidate, list[Trained]]] = []
    for c in sorted(contenders, key=lambda c: c.trained.error("dev") or 1.0):
        cand = c.trained.candidate
        if (cand.spec, cand.config) in seen or len(picked) == CONTENDERS:
            continue
        seen.add((cand.spec, cand.config))
        picked.append((c.label, cand, [c.trained]))
    labels = [label for label, _, _ in picked]  # two "dropout 0.2" of different models
    on = {c.trained.candidate.name: c.base.name for c in contenders}
    picked = [
        (f"{label} (on {on[cand.name]})" if labels.count(label) > 1 else label, cand, runs)
        for label, cand, runs in picked
    ]
    combo = combine(base, contenders)
    if combo is not None and (combo.spec, combo.config) not in seen:
        picked.append(("combination of the knobs that helped", combo, []))
    extra = _fresh(seed)
    # a budget that cannot fit them all (large models) drops the last: the combination, then
    # the contenders farthest from the model
    while picked and not phase.fits(
        SEEDS + sum(SEEDS + (not r) for _, _, r in picked),
        max(c.config.epochs for c in [base] + [c for _, c, _ in picked]),
    ):
        picked.pop()
    if not picked:
        return current, [current]
    cands = _seeded(base, extra, phase)
    plan = [len(cands)]
    for _, cand, runs in picked:
        todo = _seeded(cand, ([seed] if not runs else []) + extra, phase)
        cands += todo
        plan.append(len(todo))
    results = phase.run(cands)
    groups, at = [], 0
    for k in plan:
        groups.append(results[at : at + k])
        at += k
    mine = [current] + groups[0]
    scores, compared = [], []
    for (label, cand, runs), new in zip(picked, groups[1:], strict=True):
        theirs = runs + list(new)
        pairs = [(a, b) for a, b in zip(mine, theirs, strict=True) if _ok(a) and _ok(b)]
        if len(pairs) < 2:
            scores.append(_score(cand.name, label, theirs, None, CUT_SHORT))
            continue
        change = seeded_change(
            [a.wrong["dev"] for a, _ in pairs], [b.wrong["dev"] for _, b in pairs]
        )
        compared.append((label, cand, [b for _, b in pairs], change))
    adjusted = adjust([c[3] for c in compared])
    best = None
    for (label, _, runs, _), change in zip(compared, adjusted, strict=True):
        ok = change.better_beyond_noise
        word = "beats" if ok else "does not beat"
        scores.append(
            _score(
                runs[0].candidate.name,
                label,
                runs,
                change,
                f"dev error {describe(change)} {word} the noise",
            )
        )
        if ok and (best is None or change.change < best[1].change):
            best = (runs, change, label)
    if best is None:
        kept, why = None, "no contender beat the current model beyond the noise (Holm over them)"
        runs_kept = [r for r in mine if _ok(r)]
    else:
        runs_kept, _, label = best
        current = runs_kept[0]
        kept, why = (
            current.candidate.name,
            f"kept {label}: it beat the model on dev beyond the noise",
        )
    scores = [s.model_copy(update={"accepted": s.name == kept}) for s in scores]
    phase.log("re-measure", "dev error", scores, kept, why, results, t0)
    return current, runs_kept


def _search(
    current: Trained,
    phase: _Phase,
    seed: int,
    reserve: Callable[[list], float],
    goal,
    prior: list[tuple[dict, Trained]] = (),
    round_: int = 0,
) -> list[tuple[dict, Trained]]:
    """Move 2 (module docstring): the trials and their models. ``reserve(tried)``: seconds the
    moves after it still need, given the trials so far, at the latest measured cost.
    ``prior``: trials of an earlier round around the same model, told to the sampler first
    (not returned, not logged again); ``round_`` varies the sampler's seed (the trials keep
    ``seed``, which the confirmation leaves out)."""
    import optuna
    from optuna.distributions import FloatDistribution

    t0 = time.monotonic()
    base = current.candidate
    dists = {
        "lr_factor": FloatDistribution(0.25, 4.0, log=True),
        "epochs_factor": FloatDistribution(*EPOCHS_FACTOR, log=True),
        "label_smoothing": FloatDistribution(0.0, 0.1),
    }
    start = {"lr_factor": 1.0, "epochs_factor": 1.0, "label_smoothing": 0.0}
    if base.config.l2 > 0:
        dists["l2_factor"] = FloatDistribution(0.1, 10.0, log=True)
        start["l2_factor"] = 1.0
    if base.spec.select is not None:
        dists["inputs_factor"] = FloatDistribution(1 / 3, 3.0, log=True)
        start["inputs_factor"] = 1.0
    start["label_smoothing"] = min(base.config.label_smoothing, 0.1)
    sampler = optuna.samplers.TPESampler(
        seed=seed + round_, multivariate=True, constant_liar=True, n_startup_trials=BATCH
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    for params, value in [(start, current.error("dev"))] + [(p, r.error("dev")) for p, r in prior]:
        study.add_trial(
            optuna.trial.create_trial(params=params, distributions=dists, value=value or 0.0)
        )
    tried: list[tuple[dict, Trained]] = []
    scores: list[VariantScore] = []
    longest = round(base.config.epochs * EPOCHS_FACTOR[1])
    slack = _slack(current)
    while not goal(current):
        # before its first trial, a search keeps room to confirm one of its longest trials
        # (``_confirm``) where two trials fit besides: a first batch that spent the time left
        # would train trials that no confirmation could re-measure, so none could be kept
        # (after it, ``reserve`` counts the trials found). Where they do not, the batch takes
        # the time as before: stopping then would leave the budget idle (9 development tables,
        # 60 s, seed 0: with the room kept always, 0.88-1.00 of the budget used against
        # 0.92-1.00 before; as here, 0.90-1.00; the same test accuracy on every table)
        ahead = 0.0 if tried else slack * phase.seconds(SEEDS, longest)
        size = min(BATCH, phase.affordable(longest, reserve(tried) + ahead))
        if size < 2:
            size = min(BATCH, phase.affordable(longest, reserve(tried)))
        if size < 2:
            break
        trials = [study.ask(dists) for _ in range(size)]
        cands = []
        for t in trials:
            p = t.params
            config = base.config.model_copy(
                update={
                    "lr": base.config.lr * p["lr_factor"],
                    "epochs": max(1, round(base.config.epochs * p["epochs_factor"])),
                    "label_smoothing": p["label_smoothing"],
                    "l2": base.config.l2 * p.get("l2_factor", 1.0),
                }
            )
            spec = _with_inputs(base.spec, p.get("inputs_factor", 1.0))
            cands.append(Candidate(phase.name("s"), spec, config, seed, base.weights, base.init))
        out = phase.run(cands)
        batch = []
        for t, r in zip(trials, out, strict=True):
            if _ok(r):
                study.tell(t, r.error("dev"))
                tried.append((t.params, r))
                label = ", ".join(f"{k} {v:.3g}" for k, v in t.params.items())
                change = paired_change(current.wrong["dev"], r.wrong["dev"])
                why = f"dev error {describe(change)}"
                batch.append(_score(r.candidate.name, label, [r], change, why))
            else:
                study.tell(t, state=optuna.trial.TrialState.FAIL)
        scores += batch
        # recorded batch by batch, so that the loop pays for it as it goes (a few hundred
        # trials recorded at the end took 27 s on hpc_data, more than the loop had kept)
        phase.record(out, phase.step("local search", "dev error", batch, None, "", t0))
    if not tried:
        return tried
    better = sum(1 for _, r in tried if r.error("dev") < current.error("dev"))
    why = f"{len(tried)} trials, {better} below the model's dev error; " + (
        "the best are re-measured with fresh seeds (next step)" if better else "none kept"
    )
    phase.log("local search", "dev error", scores, None, why, [], t0)
    return tried


def _with_inputs(spec: ModelSpec, factor: float) -> ModelSpec:
    """``spec`` reading ``factor`` times as many chosen features (all of them from the input's
    width on); unchanged for a model that reads every feature."""
    if spec.select is None or factor == 1.0:
        return spec
    count = max(1, round(spec.select * factor))
    return spec.model_copy(update={"select": count if count < spec.input_shape[0] else None})


def _top(current: Trained, tried: list[tuple[dict, Trained]]) -> list[Trained]:
    """The ``CONTENDERS`` trials with the lowest dev error below the model's, best first."""
    own = current.error("dev") or 0.0
    below = [r for _, r in tried if (r.error("dev") or 1.0) < own]
    return sorted(below, key=lambda r: r.error("dev"))[:CONTENDERS]


def _confirm(
    current: Trained, runs: list[Trained], tried: list[tuple[dict, Trained]], phase: _Phase, seed
) -> tuple[Trained, list[Trained]]:
    """Move 2's decision: the ``CONTENDERS`` trials with the lowest dev error below the model's,
    trained again with the fresh seeds, against the model with the same seeds (its runs
    reused). Only the fresh seeds are compared: the trials were picked as the best of many on
    their first seed, so that seed's luck would flatter them. Holm over the contenders."""
    t0 = time.monotonic()
    top = _top(current, tried)
    fresh = _fresh(seed)
    mine = {r.candidate.seed: r for r in runs if _ok(r)}
    missing = [s for s in fresh if s not in mine]
    below = len(top)
    while top and not phase.fits(
        len(missing) + SEEDS * len(top),
        max(r.candidate.config.epochs for r in [current, *top]),
    ):
        top.pop()
    if not top:
        if below:  # the search's step said they would be re-measured: say why they were not
            why = (
                f"the budget left cannot fit fresh seeds for any of the {below} best trials: "
                "none kept"
            )
            phase.log("confirm search", "dev error", [], None, why, [], t0)
        return current, runs
    cands = _seeded(current.candidate, missing, phase)
    for r in top:
        cands += _seeded(r.candidate, fresh, phase)
    results = phase.run(cands)
    mine.update(zip(missing, results[: len(missing)], strict=True))
    runs = runs + [r for r in results[: len(missing)] if _ok(r)]
    scores, compared = [], []
    params = {id(r): p for p, r in tried}
    for k, r in enumerate(top):
        new = results[len(missing) + k * SEEDS : len(missing) + (k + 1) * SEEDS]
        label = f"{r.candidate.name}: " + ", ".join(
            f"{key} {v:.3g}" for key, v in params[id(r)].items()
        )
        pairs = [(mine[s], b) for s, b in zip(fresh, new, strict=True) if _ok(mine[s]) and _ok(b)]
        if len(pairs) < 2:
            scores.append(_score(new[0].candidate.name, label, new, None, CUT_SHORT))
            continue
        change = seeded_change(
            [a.wrong["dev"] for a, _ in pairs], [b.wrong["dev"] for _, b in pairs]
        )
        compared.append((r, label, [b for _, b in pairs], change))
    best = None
    for (r, label, fresh_runs, _), change in zip(
        compared, adjust([c[3] for c in compared]), strict=True
    ):
        ok = change.better_beyond_noise
        word = "beats" if ok else "does not beat"
        why = f"dev error with fresh seeds {describe(change)} {word} the noise"
        scores.append(_score(fresh_runs[0].candidate.name, label, fresh_runs, change, why))
        if ok and (best is None or change.change < best[2].change):
            best = (r, fresh_runs, change)
    k = len(top)
    if best is None:
        kept = None
        why = f"none of the {k} best trials beat the model with fresh seeds (Holm over {k})"
    else:
        first, fresh_runs, _ = best
        current, runs = fresh_runs[0], [*fresh_runs, first]
        kept = current.candidate.name
        why = (
            f"kept trial {first.candidate.name} (as {kept}): with fresh seeds it beat the model "
            f"on dev beyond the noise (Holm over the {k} best of {len(tried)} trials)"
        )
    scores = [s.model_copy(update={"accepted": s.name == kept}) for s in scores]
    phase.log("confirm search", "dev error", scores, kept, why, results, t0)
    return current, runs


def _ensemble_of(members: list[Trained], data: PreparedData, device) -> Trained:
    """The members (one configuration, several seeds) as one ``Trained``: the ensemble model,
    its mistakes per part (out of fold under k-fold: the members' out-of-fold probabilities
    averaged) and, under k-fold, those averaged out-of-fold log-probabilities."""
    first = members[0]
    model = Ensemble([m.model for m in members])
    dev_logits = dev_y = None
    if first.dev_logits is not None:
        logp = torch.stack([m.dev_logits.float().log_softmax(-1) for m in members])
        dev_logits = torch.logsumexp(logp, 0) - math.log(len(members))
        dev_y = first.dev_y
        wrong = score_parts(model, {"train": data.train}, device=device)
        wrong["dev"] = dev_logits.argmax(1) != dev_y
    else:
        wrong = score_parts(model, data.parts(), device=device)
    c = first.candidate
    return Trained(
        Candidate("ensemble", c.spec, c.config, c.seed, c.weights, c.init),
        model,
        history=first.history,
        stop_reason=first.stop_reason,
        stop_message=f"an ensemble of {len(members)} seeds (probabilities averaged)",
        wrong=wrong,
        seconds=sum(m.seconds for m in members),
        dev_logits=dev_logits,
        dev_y=dev_y,
    )


def _ensemble(
    current: Trained, runs: list[Trained], phase: _Phase, seed: int
) -> tuple[Trained, str]:
    """Move 3. Returns the model kept and why the phase ended."""
    t0 = time.monotonic()
    members = [r for r in runs if _ok(r)]
    epochs = current.candidate.config.epochs

    def affordable(cap: int) -> int:  # every member beyond the first is refitted too, at the end
        each = phase.member_refit_s(current)
        kept_aside = max(len(members) - 1, 0) * each
        return min(cap - len(members), phase.affordable(epochs, kept_aside, each))

    used = {r.candidate.seed for r in members}
    seeds = iter([s for s in range(seed, seed + 4 * GROWN) if s not in used])
    results: list[Trained] = []

    def grow(cap: int) -> None:
        # batch after batch while one more member fits: a batch trained as one population
        # costs less per member than the estimate that sized it, so the time it leaves may
        # fit more
        more = affordable(cap)
        while more > 0:
            batch = phase.run(_seeded(current.candidate, list(islice(seeds, more)), phase))
            results.extend(batch)
            members.extend(r for r in batch if _ok(r))
            if not all(_ok(r) for r in batch):  # cut at the deadline, or failed: no more
                return
            more = affordable(cap)

    if len(members) + affordable(MAX_MEMBERS) < 2:
        return current, "the budget left cannot fit one more model"
    grow(MAX_MEMBERS)
    if len(members) < 2:  # its members trained (or were cut): logged, so each is a trial
        why = "the budget cut the ensemble's members short"
        phase.log("ensemble", "dev error", [], None, f"{why}: no ensemble built", results, t0)
        return current, why
    ens, score = _ensemble_scored(members, phase)
    ok = score.accepted
    kept = "ensemble" if ok else None
    words = (
        f"kept the {score.label}: it beat the single model on dev beyond the noise"
        if ok
        else "the ensemble did not beat the single model beyond the noise: the single model stays"
    )
    phase.log("ensemble", "dev error", [score], kept, words, results, t0)
    if not ok:  # "the ensemble is built (3 members)" read as kept, beside a single network
        return current, (
            f"an ensemble of {len(members)} members did not beat the single model beyond the "
            "noise: the single model stays"
        )
    first, recorded = len(members), len(results)
    if first == MAX_MEMBERS:  # the time its sizing left: more seeds, up to GROWN
        t1, sized = time.monotonic(), score.errors.get("dev")
        grow(GROWN)
        if len(members) > first:
            ens, score = _ensemble_scored(members, phase, grown=True)
            score = score.model_copy(update={"accepted": True})  # the size, not a new choice
            grown = score.errors.get("dev")
            # its dev error may rise a little (8.42 → 8.62 %, "kept"): said as no choice on dev
            moved = (
                f"; its dev error {sized:.2%} → {grown:.2%}, no choice made on it"
                if None not in (sized, grown)
                else ""
            )
            why = (
                f"the time left after {first} members grew the kept ensemble to "
                f"{len(members)} (at most {GROWN}): more seeds of the configuration kept{moved}"
            )
            phase.log("ensemble", "dev error", [score], kept, why, results[recorded:], t1)
        elif len(results) > recorded:  # the budget cut the extra members short: still trials
            why = f"the budget cut the extra members short: the ensemble of {first} stays"
            phase.log("ensemble", "dev error", [], None, why, results[recorded:], t1)
    # a time budget's run that ends early says why (mn_police_use_of_force, 90 s: 5-15 s idle)
    if len(members) >= GROWN and math.isfinite(phase.left()) and phase.fits(1, epochs):
        return ens, (
            f"the ensemble is built ({len(members)} members, the most it grows to: its latency "
            f"is that of all of them); {phase.left():.0f} s of the budget are left over"
        )
    return ens, f"the ensemble is built ({len(members)} members)"


def _ensemble_scored(
    members: list[Trained], phase: _Phase, *, grown: bool = False
) -> tuple[Trained, VariantScore]:
    """The members as one ensemble, and its score: accepted when it beats the single model on
    dev beyond the noise — its change is ``seeded_change`` against each of its members, not
    one of them: the single model a user gets is one seed, and the one kept so far may be the
    best of a step's variants on its seed's luck. ``grown``: an ensemble kept before, grown
    with the time left; its label says so, as its row is marked kept whatever its dev error
    did (a sweep read "ensemble of 11 seeds: dev 33.24 % — kept" after 32.80 % with 8 as a
    worse model chosen)."""
    ens = _ensemble_of(members, phase.data, phase.device)
    change = seeded_change([m.wrong["dev"] for m in members], [ens.wrong["dev"]] * len(members))
    ok = change.better_beyond_noise
    size = f"{'grown to' if grown else 'of'} {len(members)}"
    label = f"ensemble {size} seeds (probabilities averaged)"
    why = f"dev error {describe(change)} {'beats' if ok else 'does not beat'} the noise"
    return ens, _score("ensemble", label, [ens], change, why, accepted=ok)


def polish(
    current: Trained,
    contenders: list[Contender],
    *,
    train: Callable[[list[Candidate]], list[Trained]],
    data: PreparedData,
    deadline: float,
    started: float,
    device: torch.device,
    seed: int,
    steps: list[Step],
    goal: Callable[[Trained], bool],
    on_step: Callable[[Step], None] | None = None,
    on_trained: Callable[[Trained, Step | None, str], None] | None = None,
    models_left: int | None = None,
    record_s: float = 0.0,
    refit_s: float = 0.0,
) -> tuple[Trained, str]:
    """Run the three moves of the module docstring; returns the model kept and, in words, why
    the phase ended. Steps are appended to ``steps`` (problem ``polish``). ``models_left``: a
    count budget's models left (None: the deadline alone bounds it). ``record_s``: seconds
    ``on_trained`` took per model so far — a move records its models when it ends, so the
    first move must know that cost before it starts (wine, 300 s: a local search of ~2,000
    tiny models trained to its deadline, then spent 51 s recording them). ``refit_s``: the
    seconds the final refit on train + dev keeps for one model — the caller's ``deadline``
    already leaves them for one; an ensemble's every other member needs as many (MNIST-1D seed 1,
    dev data: an ensemble of 6 seeds was kept, and its refit, sized for one model, was cut at the
    deadline after 67 s)."""
    phase = _Phase(
        train,
        data,
        deadline,
        started,
        device,
        max(current.seconds, 1e-3) / max(len(current.history), 1),
        steps,
        on_step,
        on_trained,
        models_left,
        record_s,
        refit_s,
    )
    if goal(current):
        return current, "the goal is reached"
    if not phase.fits(1, current.candidate.config.epochs):
        return current, "the budget left cannot fit one more model"
    try:
        current, runs = _remeasure(current, contenders, phase, seed)
        if goal(current):
            return current, "the goal is reached"
        epochs = current.candidate.config.epochs
        members = max(0, MAX_MEMBERS - len([r for r in runs if _ok(r)]))
        missing = len(set(_fresh(seed)) - {r.candidate.seed for r in runs if _ok(r)})

        slack = _slack(current)

        def reserve(tried) -> float:  # the ensemble's members, the confirmation's models
            refits = members * phase.member_refit_s(current)
            later = phase.seconds(members + missing, epochs) + refits
            return slack * later + _confirming(current, tried, phase, slack)

        searched = current.candidate
        tried = _search(current, phase, seed, reserve, goal)
        current, runs = _confirm(current, runs, tried, phase, seed)
        if goal(current):
            return current, "the goal is reached"
        model, why = _ensemble(current, runs, phase, seed)
        if model is not current:
            return model, why
        prior = tried if current.candidate == searched else []
        current, rounds = _more_rounds(current, runs, prior, phase, seed, goal)
        if goal(current):
            return current, "the goal is reached"
        if rounds:
            why += (
                f"; the time it left went to {rounds} more round"
                f"{'s' * (rounds > 1)} of local search, until the budget left could not fit "
                "two more trials"
            )
        return current, why
    except KeyboardInterrupt:  # ``train`` raises it on Ctrl-C: what was kept stays
        return current, INTERRUPTED


def _slack(current: Trained) -> float:
    """``SLACK`` for a model a population trains; 1 for one that trains alone
    (``vectorization_problem``), whose every model costs the same however many are asked
    together."""
    c = current.candidate
    return 1.0 if vectorization_problem(c.spec, c.config) else SLACK


def _confirming(current: Trained, tried, phase: _Phase, slack: float) -> float:
    """Seconds the confirmation would take for the trials so far."""
    top = _top(current, tried)
    return slack * sum(phase.seconds(SEEDS, r.candidate.config.epochs) for r in top)


def _more_rounds(
    current: Trained, runs: list[Trained], prior, phase: _Phase, seed: int, goal
) -> tuple[Trained, int]:
    """After an ensemble that was not kept: the time kept aside for its members and their
    refit goes back to the local search, round after round (each confirmed as in move 2, the
    next one around the model kept), while the budget left fits two trials besides the
    confirmation. A round around the same model tells the sampler the trials before it around
    that model (``prior``). Returns the model kept and the rounds run. (synthetic_wide_large,
    seeds 0 and 1, 300 s, dev data: the ensemble, not kept, ended the phase at 264 s and 241 s
    of 300 — training share 0.86 and 0.77; with these rounds and no slack for its models, which
    train alone, 0.96 and 0.96; test accuracy moved by at most 0.3 points.)"""
    rounds = 0
    slack = _slack(current)
    while not goal(current):
        base = current

        def reserve(t, base=base) -> float:  # bound now: ``current`` moves on
            return _confirming(base, t, phase, slack)

        new = _search(current, phase, seed, reserve, goal, prior, rounds + 1)
        if not new:
            break
        rounds += 1
        current, runs = _confirm(current, runs, new, phase, seed)
        prior = prior + new if current is base else []
    return current, rounds
