"""``KnownCompletePruner`` against Optuna's own median pruner, on a real SQLite study."""

import optuna

from orthotune.search._pruning import KnownCompletePruner


def _finish(study, values):
    trial = study.ask()
    for step, v in enumerate(values):
        trial.report(v, step)
    study.tell(trial, values[-1])


def test_it_decides_as_the_median_pruner_and_reads_the_finished_trials_once_per_refresh(
    tmp_path,
):
    median = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    known = KnownCompletePruner(optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1))
    study = optuna.create_study(
        storage=f"sqlite:///{tmp_path / 'study.db'}", direction="maximize", pruner=known
    )
    _finish(study, [0.5, 0.6, 0.7])
    _finish(study, [0.5, 0.7, 0.8])
    running = study.ask()
    decisions = []
    for step, v in enumerate([0.55, 0.62, 0.64]):  # median at steps 1, 2: 0.65, 0.75
        running.report(v, step)
        frozen = study.get_trials(deepcopy=False)[-1]
        assert known.prune(study, frozen) == median.prune(study, frozen)
        decisions.append(known.prune(study, frozen))
    assert decisions == [False, True, True]
    read = known._complete
    assert read is not None and len(read) == 2
    # two more finish far below: the median at step 2 falls to (0.1 + 0.7) / 2 = 0.4
    _finish(study, [0.1, 0.1, 0.1])
    _finish(study, [0.1, 0.1, 0.1])
    frozen = study.get_trials(deepcopy=False)[2]
    assert not median.prune(study, frozen)  # Optuna, reading all 4: keep it
    assert known.prune(study, frozen)  # not refreshed: still the 2 it read
    assert known._complete is read
    known.refresh()
    assert not known.prune(study, frozen)
    assert len(known._complete) == 4


def test_a_tpe_search_still_prunes_with_it(tmp_path):
    from orthotune.search import make_strategy

    assert isinstance(make_strategy("tpe").pruner(None), KnownCompletePruner)
