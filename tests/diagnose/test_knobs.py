from orthotune.diagnose import HUMAN_LEVEL_KNOBS, KNOBS, Problem, knobs_for


def test_each_problem_has_its_own_ordered_knobs():
    assert [k.id for k in knobs_for("avoidable_bias")][:4] == [
        "bigger_network",
        "xavier_init",
        "better_optimizer",
        "train_longer",
    ]
    assert [k.id for k in knobs_for(Problem.VARIANCE)][:4] == [
        "smaller_network",
        "regularization",
        "more_training_data",
        "early_stopping",
    ]
    assert knobs_for(Problem.NONE) == []
    assert knobs_for(Problem.DEV_OVERFITTING)[0].words == "Bigger dev set"


def test_knob_ids_are_unique_within_a_problem_and_words_are_the_lecture_s():
    for problem, knobs in KNOBS.items():
        ids = [k.id for k in knobs]
        assert len(ids) == len(set(ids)), problem
        assert all(k.words and k.source for k in knobs)
    assert knobs_for("variance")[1].words == "Regularization (L2, dropout)"
    assert HUMAN_LEVEL_KNOBS[0].id == "clean_data"
