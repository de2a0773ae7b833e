"""Reading a run folder into section objects: what is present, in which shape, and tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orthotune._errors import InvalidInputError
from orthotune._rundir import TEST_SCORES_FILE, RunDir
from orthotune.diagnose import ErrorLevels, Level, diagnose
from orthotune.metrics import ClassificationReport
from orthotune.report import ReportInfo, read_run_folder, read_study

ALL_SECTIONS = [
    "summary",
    "diagnosis",
    "learning-curves",
    "lr-schedule",
    "confusion",
    "calibration",
    "decisions",
    "search-progress",
    "importance",
    "pareto",
    "error-analysis",
    "label-issues",
    "saliency",
]


def test_full_run_folder_has_every_section(run_info: ReportInfo) -> None:
    info = run_info
    assert info.section_ids() == ALL_SECTIONS
    assert info.notes == []
    facts = dict(info.summary.facts)
    assert facts["Data"] == "builtin:synthetic"
    assert facts["Chosen model"] == "trial-3"
    assert facts["Split"] == "train 240 · train-dev 40 · dev 60 · test 60"
    assert facts["Network"].startswith("mlp, hidden ")  # what `train` printed, the report not
    assert dict(info.summary.test_metrics)["accuracy"] == "91.25 %"
    assert info.summary.headline.startswith("Data mismatch")


def test_ladder_levels_gaps_and_intervals(run_info: ReportInfo) -> None:
    ladder = run_info.ladder
    assert [k for k, _, _ in ladder.levels] == [
        "human_error",
        "train_error",
        "train_dev_error",
        "dev_error",
        "test_error",
    ]
    gaps = {g.key: g for g in ladder.gaps}
    assert list(gaps) == ["avoidable_bias", "variance", "data_mismatch", "dev_overfitting"]
    assert (gaps["variance"].lower, gaps["variance"].upper) == ("train_error", "train_dev_error")
    assert gaps["data_mismatch"].estimate.is_high is True
    assert gaps["avoidable_bias"].estimate.low == pytest.approx(0.007)
    assert ladder.knobs[0].startswith("make training data more like dev")
    assert ladder.notes == ["the dev set (60 examples) is too small to resolve a 1-point gap"]
    train = ladder.levels[1][2]  # the interval comes from the decomposition's level list
    assert (train.value, train.low, train.high) == pytest.approx((0.061, 0.049, 0.073))


def test_curves_chosen_model_then_best_others_and_trials(run_info: ReportInfo) -> None:
    info = run_info
    curves = info.curves
    assert curves.chosen.name == "trial-3"
    assert curves.chosen.stop_reason.startswith("patience_exhausted — dev error did not improve")
    assert [c.name for c in curves.others] == ["trial-5", "trial-0"]  # best dev error first
    # The best trials by the maximized objective, each with its per-epoch reports.
    finals = [info.study.trials[int(c.name.split()[1])].values[0] for c in curves.trials]
    assert len(curves.trials) == 4 and finals == sorted(finals, reverse=True)
    assert info.schedule is curves.chosen and curves.chosen.has("lr")


def test_confusion_is_the_test_scores_record(run_info: ReportInfo, run_folder: Path) -> None:
    confusion = run_info.confusion
    assert confusion.split == "test"
    assert confusion.class_names == ["zero", "one", "two", "three"]
    assert sum(map(sum, confusion.matrix)) == 240
    stored = RunDir(run_folder).read_record(TEST_SCORES_FILE, ClassificationReport)
    h = stored.harmonic  # shown as stored, never re-derived
    assert confusion.scores.harmonic == (h.precision, h.recall, h.fbeta)
    assert [r.f1 for r in confusion.scores.rows] == stored.scores("fbeta")


def test_decisions_timeline(run_info: ReportInfo) -> None:
    decisions = run_info.decisions
    assert [(s.index, s.kept) for s in decisions.steps] == [(1, True), (2, False)]
    first = decisions.steps[0]
    assert first.knob == "bigger network" and first.seconds == 41.5
    assert first.choice == "width 256"
    assert dict(first.before)["avoidable bias"].value == pytest.approx(0.08)
    assert dict(first.after)["avoidable bias"].value == pytest.approx(0.019)
    assert first.variants.columns == ["variant", "dev error", "kept", "why"]
    assert first.variants.rows[1][:3] == ["width 256", "9.80 %", "yes"]
    assert decisions.final.startswith("Stopped at the budget")


def test_study_best_respects_satisficing_and_has_importance(run_info: ReportInfo) -> None:
    study = run_info.study
    assert study.directions == ["maximize"] and study.metric_names == ["dev_accuracy"]
    ranked = study.ranked(20)
    feasible = [t.feasible for t in ranked]
    assert feasible == sorted(feasible, reverse=True)  # constraint-meeting trials first
    assert set(study.importances) <= {"lr", "width", "activation", "dropout"}
    assert study.importances and abs(sum(study.importances.values()) - 1) < 1e-6
    assert study.pareto_axes == ("latency_ms", "dev_accuracy")
    front = [p for p in study.pareto_points if p[3]]
    # No front point is beaten on both criteria by any trial.
    for _, x, y, _ in front:
        assert not any(px < x and py > y for _, px, py, _ in study.pareto_points)


def test_analysis_files_become_tables(run_info: ReportInfo) -> None:
    analyses = {a.file_name: a for a in run_info.analyses}
    errors = analyses["analysis/errors.json"]
    assert errors.kind == "error_analysis"
    misclassified = next(t for t in errors.tables if t.title == "misclassified")
    assert misclassified.total_rows == 60 and len(misclassified.rows) == 25
    issues = analyses["analysis/label_issues.json"]
    assert issues.kind == "label_issues"
    assert ("suspected label issues", "2") in issues.facts


def test_analysis_results_are_read_as_their_records_or_named_in_a_note(tmp_path: Path) -> None:
    from tests.report.conftest import write_run_folder

    run = write_run_folder(tmp_path / "run", analysis_file="notes_of_mine.json")
    errors = json.loads((run / "analysis" / "errors.json").read_text())
    errors["classes"][0].pop("ceiling_error")  # a field the record requires
    (run / "analysis" / "errors.json").write_text(json.dumps(errors))
    info = read_run_folder(run)
    shown = {a.file_name for a in info.analyses}
    assert "analysis/errors.json" not in shown and "analysis/label_issues.json" in shown
    assert any(n.startswith("analysis/errors.json could not be read") for n in info.notes)
    assert any(
        n.startswith("analysis/notes_of_mine.json is not a result orthotune writes")
        for n in info.notes
    )


def test_diagnosis_alone_and_no_train_dev(tmp_path: Path) -> None:
    levels = ErrorLevels(  # the lecture's model A: high bias and high variance
        human_error=0.007, train=Level(error=0.035, n=2000), dev=Level(error=0.078, n=2000)
    )
    RunDir(tmp_path).write_diagnosis(diagnose(levels))
    info = read_run_folder(tmp_path)
    assert info.section_ids() == ["summary", "diagnosis"]
    variance = next(g for g in info.ladder.gaps if g.key == "variance")
    assert (variance.lower, variance.upper) == ("train_error", "dev_error")
    bias = next(g for g in info.ladder.gaps if g.key == "avoidable_bias")
    assert (bias.lower, bias.upper) == ("human_error", "train_error")
    assert info.ladder.levels[0][0] == "human_error" and info.ladder.levels[0][2].low is None


def test_old_spellings_migrate_and_damaged_records_become_notes(tmp_path: Path) -> None:
    epoch = {"epoch": 0, "steps": 1, "lr": 0.1, "train_loss": 1.0, "train_error": 0.5}
    epoch |= {"smoothed_loss": 1.0, "dev_loss": 1.1, "seconds": 0.1}
    folder = tmp_path / "history"
    folder.mkdir()
    # tune's bare list (before the History record): migrated by RunDir
    (folder / "m1.json").write_text(json.dumps([epoch, {**epoch, "epoch": 1, "lr": 0.05}]))
    # columns instead of epochs: no orthotune wrote it, refused in one line
    (folder / "m2.json").write_text(json.dumps({"train_loss": [1.0, 0.5], "lr": [0.1, 0.05]}))
    (tmp_path / "run.json").write_text("{not json", encoding="utf-8")
    info = read_run_folder(tmp_path)
    assert info.curves.chosen.name == "m1" and info.curves.others == []
    assert info.schedule.series["lr"] == [0.1, 0.05]
    assert any(note.startswith("run.json could not be read") for note in info.notes)
    assert any(note.startswith("history/m2.json could not be read") for note in info.notes)
    assert "notes" in info.section_ids()


def test_a_damaged_study_is_a_note_whose_fix_can_be_followed(run_folder: Path, tmp_path) -> None:
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    data = (copy / "study.db").read_bytes()
    (copy / "study.db").write_bytes(data[: len(data) // 3])  # cut short
    info = read_run_folder(copy)
    # was open_storage's "give an Optuna storage URL such as …", which then needs --study
    assert "study.db could not be read as an Optuna study: the trials' curves are left out " in (
        " ".join(info.notes)
    )
    assert info.curves is None or info.curves.trials == []


def test_a_study_on_a_read_only_file_system_is_read_from_a_copy(
    run_folder: Path, tmp_path, monkeypatch
) -> None:
    import os
    import shutil

    from orthotune.report import _sections

    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    opened = []
    read = _sections.read_study

    def sqlite_on_a_read_only_mount(storage):  # SQLite refuses a file it may not write
        opened.append(storage)
        if str(copy) in storage:
            raise InvalidInputError(f"--storage {storage!r} could not be opened")
        return read(storage)

    monkeypatch.setattr(_sections, "read_study", sqlite_on_a_read_only_mount)
    monkeypatch.setattr(os, "access", lambda path, mode: not str(path).startswith(str(copy)))
    info = read_run_folder(copy)  # was "study.db could not be read … restore it from a copy"
    assert not any("study.db" in note for note in info.notes), info.notes
    assert info.curves.trials and len(opened) == 2 and str(copy) not in opened[1]
    monkeypatch.setattr(os, "access", lambda path, mode: True)  # writable: the file's fault
    info = read_run_folder(copy)
    assert any(n.startswith("study.db could not be read as an Optuna") for n in info.notes)


def test_an_analysis_table_cut_short_is_a_note(run_folder: Path, tmp_path) -> None:
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    (copy / "analysis").mkdir(exist_ok=True)
    rows = "".join(f"{i},{i % 3},{i % 2},0.9\n" for i in range(40))
    (copy / "analysis" / "audit.csv").write_text("id,y_true,y_pred,confidence\n" + rows[:-9])
    info = read_run_folder(copy)  # was shown as 40 rows with nothing said
    assert (
        "analysis/audit.csv: line 41 holds fewer cells than its header line, as in a file "
        "cut short" in " ".join(info.notes)
    )


def test_the_runs_predictions_are_counted_not_dumped_as_an_error_analysis(tmp_path) -> None:
    (tmp_path / "analysis").mkdir()
    rows = "".join(f"{i},b,0.9999974951283027,2.5e-06,0.9999975,{['train', 'dev'][i % 2]}\n"
                   for i in range(30))  # fmt: skip
    (tmp_path / "analysis" / "predictions.csv").write_text(
        "id,y_pred,confidence,p_a,p_b,split\n" + rows
    )
    [info] = read_run_folder(tmp_path).analyses
    # its first 25 rows were the section's table: raw probabilities of train and test rows
    assert info.tables == [] and dict(info.facts)["rows"] == "train 15 · dev 15"
    assert "each of 2 classes" in dict(info.facts)["columns"]


def test_a_study_kept_in_another_storage_is_named_where_the_report_leaves_it_out(
    run_folder: Path, tmp_path
) -> None:
    import json
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    (copy / "study.db").unlink()
    record = json.loads((copy / "run.json").read_text())
    record["config"] |= {"storage": "sqlite:////data/ext.db", "study": "x"}
    (copy / "run.json").write_text(json.dumps(record))
    info = read_run_folder(copy)  # the search sections were missing and nothing said why
    assert (
        "the search's study lives in sqlite:////data/ext.db, not in this folder: its progress "
        "and importance are left out here; `orthotune report --study x --storage "
        "sqlite:////data/ext.db` draws them" in info.notes
    )


def test_missing_run_dir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"RUN_DIR .*does not exist"):
        read_run_folder(tmp_path / "nope")


def test_file_instead_of_run_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "report.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="is a file, not a run folder"):
        read_run_folder(tmp_path / "report.csv")


def test_a_model_folder_given_as_run_dir_points_to_its_run(run_folder: Path) -> None:
    """`report RUN/models/mlp` was "not a run folder" and `report RUN/models/best` "is a
    file", neither naming the run folder two levels up."""
    name = (run_folder / "models" / "best").read_text().strip()
    for given in (run_folder / "models" / name, run_folder / "models" / "best"):
        said = f"it is a model of the run folder {run_folder}: give that"
        with pytest.raises(InvalidInputError, match=said):
            read_run_folder(given)


def test_folder_without_run_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"not a run folder: it holds none of run\.json"):
        read_run_folder(tmp_path)


def test_unknown_study_name_lists_the_studies(run_folder: Path) -> None:
    storage = f"sqlite:///{run_folder / 'study.db'}"
    with pytest.raises(InvalidInputError, match=r"--study 'other' is not in storage .*: run"):
        read_study(storage, "other")


def test_calibration_section_reads_the_typed_record(run_info: ReportInfo, tmp_path: Path) -> None:
    from orthotune.report import render_html

    cal = run_info.calibration
    assert cal.applied and cal.ece_after < cal.ece_before  # logits ×3 in the fixture
    assert cal.temperature == pytest.approx(3, rel=0.3)
    html = render_html(run_info)
    assert "Calibration (temperature scaling)" in html and cal.message in html
    # a damaged calibration.json drops the section with a note, never the report
    (tmp_path / "diagnosis.json").write_text('{"tolerance": 0.01}', encoding="utf-8")
    (tmp_path / "calibration.json").write_text('{"temperature": "hot"}', encoding="utf-8")
    info = read_run_folder(tmp_path)
    assert info.calibration is None and "calibration" not in info.section_ids()
    assert any(n.startswith("calibration.json could not be read") for n in info.notes)


def test_saliency_section_reads_the_typed_record_not_a_generic_table(run_info: ReportInfo) -> None:
    sal = run_info.saliency
    assert sal.misclassified > 0 and sal.examples and sal.input_shape == [1, 12]
    assert sal.mask == "object.npz" and 0 <= sal.mean_outside_share <= 1
    assert sal.deletion.winner in sal.deletion.area
    assert all(a.file_name != "analysis/saliency.json" for a in run_info.analyses)


def test_other_models_without_a_dev_curve_are_not_drawn_beside_the_chosen(tmp_path: Path) -> None:
    """k-fold's kept models learned from train + dev: their histories hold no dev series, and
    the figure of the other models' dev curves would be empty (matplotlib warned of a legend
    without artists on every such run)."""
    epoch = {"epoch": 0, "steps": 1, "lr": 0.1, "train_loss": 1.0, "train_error": 0.5}
    epoch |= {"smoothed_loss": 1.0, "seconds": 0.1}
    folder = tmp_path / "history"
    folder.mkdir()
    for name in ("m1", "m2"):
        (folder / f"{name}.json").write_text(json.dumps([epoch, {**epoch, "epoch": 1}]))
    (folder / "m3.json").write_text(json.dumps([{**epoch, "dev_error": 0.4}]))
    curves = read_run_folder(tmp_path).curves
    assert [c.name for c in curves.others] == ["m3"]  # m1 is chosen (the first); m2 has no dev


def test_an_unresolved_gap_is_flagged_unresolved_not_not_high() -> None:
    from io import StringIO

    from rich.console import Console

    from orthotune.cli._render_tune import render_diagnosis_table
    from orthotune.diagnose import ErrorLevels, diagnose
    from orthotune.report._sections import _ladder

    levels = dict(train_error="1%", train_size=5000, dev_error="2.5%", dev_size=80)
    diagnosis = diagnose(ErrorLevels.from_rates(human_error="0.7%", **levels))
    [variance] = [g for g in _ladder(diagnosis).gaps if g.key == "variance"]
    assert variance.estimate.unresolved and variance.estimate.is_high is False
    out = StringIO()
    render_diagnosis_table(diagnosis, Console(file=out, width=120))
    row = next(line for line in out.getvalue().splitlines() if "variance" in line)
    assert "unresolved" in row and "not high" not in row  # the terminal said "not high"
    # the headline says "see the notes": the terminal prints them (it printed none; sweep 26)
    assert diagnosis.verdict.notes
    text = " ".join(out.getvalue().split())
    assert all(f"Note: {' '.join(n.split())}" in text for n in diagnosis.verdict.notes)


def test_a_trials_seconds_are_its_recorded_training_time() -> None:
    from orthotune.report._sections import TrialPoint

    def point(attrs, start=3.0, end=3.0):
        return TrialPoint(1, "COMPLETE", [0.9], {}, start, end, attrs, True)

    assert point({"seconds": 0.184}).seconds == 0.184  # an autopilot model: 0 s before
    assert point({}, start=1.0, end=4.5).seconds == 3.5  # a search trial: end − start
    assert point({}, start=None).seconds is None


def test_a_run_whose_job_did_not_finish_says_so(tmp_path) -> None:
    """A killed job's run folder (run.json without a finish time) was drawn as a finished
    one, its missing test scores and calibration unsaid."""
    from orthotune._rundir import RunRecord

    run = RunDir.create(tmp_path / "killed")
    run.write_run(RunRecord(command="train", data="d.csv", seed=0))
    (notes,) = [n for n in read_run_folder(run.path).notes if "did not finish" in n]
    assert notes.startswith("the job that wrote this run did not finish (killed, or still run")
    stopped = RunRecord(
        command="tune", data="d.csv", seed=0, summary={"stop_reason": "interrupted"}
    )
    run.write_run(stopped)
    assert any("did not finish (interrupted by the user)" in n
               for n in read_run_folder(run.path).notes)  # fmt: skip


def test_a_search_report_names_its_constraint_time_and_each_trials_measured_seconds(
    tmp_path: Path,
) -> None:
    import platform

    import optuna

    import orthotune

    out = tmp_path / "run"
    orthotune.tune(
        "builtin:synthetic?n=300&features=5",
        strategy="random",
        trials=3,
        constraints=["latency_ms<1000"],
        out=out,
        write_report=False,
    )
    info = read_run_folder(out)
    facts = dict(info.summary.facts)
    # the terminal heads its table "dev_accuracy subject to …": the report never said it
    assert facts["Objective"] == "dev_accuracy subject to latency_ms<1000"
    assert facts["Stopped"].startswith("3 trials finished")
    assert facts["Time"].endswith("s · 3 trials this run")
    assert facts["Machine"].startswith(f"host={platform.node()}, cpu=")
    study = optuna.load_study(study_name="random", storage=f"sqlite:///{out / 'study.db'}")
    measured = {t.number: t.user_attrs["metrics"]["seconds"] for t in study.trials}
    # a trial's seconds were its start → end in the study (several times its training)
    assert {t.number: t.seconds for t in info.study.trials} == measured
    assert info.study.pareto_axes == ("latency_ms", "dev_accuracy")  # no Pareto section before
    chosen = (out / "models" / "best").read_text().strip()
    assert f"trial-{info.study.chosen_trial}" == chosen  # marked "← chosen" in the ranking


def test_a_bias_gap_with_a_bayes_error_is_shown_and_an_unresolved_gap_is_not_green() -> None:
    import base64

    from orthotune.diagnose import ErrorLevels, diagnose
    from orthotune.report._figures import ladder_figure
    from orthotune.report._sections import _ladder

    levels = dict(train_error="1%", train_size=5000, dev_error="2.5%", dev_size=80)
    rates = ErrorLevels.from_rates(human_error=None, bayes_error="0.7%", **levels)
    ladder = _ladder(diagnose(rates))
    # the terminal's "bias" row (train − Bayes), behind its verdict, was left out
    assert [g.key for g in ladder.gaps] == ["bias", "variance"]
    alone = _ladder(diagnose(ErrorLevels.from_rates(human_error=None, **levels)))
    assert [(g.key, g.estimate.unresolved) for g in alone.gaps] == [("variance", True)]
    svg = base64.b64decode(ladder_figure(alone).split(",", 1)[1]).decode()
    assert "#2e7d32" not in svg  # green is "not high"; unresolved was drawn green


def test_a_run_stopped_by_ctrl_c_says_so_though_it_finished(tmp_path: Path) -> None:
    from orthotune._records import DecisionLog, RunRecord

    run = RunDir.create(tmp_path / "run")
    run.write_run(RunRecord(command="tune", data="d.csv", seed=0, finished="2026-12-06"))
    run.write_decisions(
        DecisionLog(stop_reason="interrupted", stop_message="interrupted by the user in step 3")
    )
    info = read_run_folder(run.path)
    assert dict(info.summary.facts)["Stopped"] == "interrupted by the user in step 3"
    assert any(n.startswith("the job was stopped before its end") and n.endswith("best so far)")
               for n in info.notes)  # fmt: skip


def test_a_refitted_runs_ladder_says_whose_levels_it_shows(tmp_path: Path) -> None:
    from orthotune._records import REFITTED, DecisionLog
    from orthotune.diagnose import ErrorLevels, diagnose

    run = RunDir.create(tmp_path / "run")
    levels = dict(train_error="1%", train_size=5000, dev_error="2.5%", dev_size=800)
    run.write_diagnosis(diagnose(ErrorLevels.from_rates(human_error=None, **levels)))
    run.write_decisions(DecisionLog(refit=f"{REFITTED} 5800 train + dev examples"))
    # its test bar and its test-score tiles are two models' since a refit learned from dev
    assert (
        read_run_folder(run.path)
        .ladder.notes[0]
        .startswith("These levels are the chosen configuration's before its refit")
    )


def test_an_ensembles_members_are_the_chosen_model_not_other_models(tmp_path: Path) -> None:
    epoch = {"epoch": 0, "steps": 1, "lr": 0.1, "train_loss": 1.0, "train_error": 0.5}
    epoch |= {"smoothed_loss": 1.0, "seconds": 0.1, "dev_error": 0.4}
    (tmp_path / "history").mkdir()
    for name in ("mlp.member-1", "mlp.member-2", "other"):
        (tmp_path / "history" / f"{name}.json").write_text(json.dumps([epoch]))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "best").write_text("mlp\n")
    curves = read_run_folder(tmp_path).curves
    # "Other kept models (mlp.member-1, …)", then "Chosen model: mlp.member-1" as if the
    # member's dev curve were the ensemble's
    assert curves.chosen.name == "mlp, member 1 of 2 (the ensemble: the ladder)"
    assert [c.name for c in curves.others] == ["other"]


def test_class_names_alike_in_their_first_characters_get_ticks_told_apart() -> None:
    from orthotune.report._figures import _tick_names

    names = ["customer churned within 30 days", "customer churned within 90 days", "stayed"]
    assert _tick_names(names) == ["customer…n 30 days", "customer…n 90 days", "stayed"]
    alike = [f"Category {i} — a long description" for i in range(3)]
    ticks = _tick_names(alike)
    assert len(set(ticks)) == 3 and all(len(t) <= 21 for t in ticks)
    # alike at both ends: the word that differs (was "0: Support … tier two", numbered only)
    tickets = [f"Support ticket category {w} — escalated to tier two" for w in ("billing", "login")]
    assert _tick_names(tickets) == ["…billing…", "…login…"]


def test_the_calibration_caption_speaks_of_an_after_only_when_there_is_one(
    run_info: ReportInfo,
) -> None:
    from dataclasses import replace

    from orthotune.report import render_html

    assert "The ECE after is measured" in render_html(run_info)
    plain = replace(
        run_info, calibration=run_info.calibration.model_copy(update={"ece_after": None})
    )
    html = render_html(plain)  # "… each scaled by a T fitted on the others ." with no row
    assert "The ECE after" not in html and "fitted on the others" not in html


def test_the_end_of_the_terminals_result_is_in_the_report_too(tmp_path: Path) -> None:
    from orthotune._records import DecisionLog, RunRecord, Step

    run = RunDir.create(tmp_path / "run")
    filled = ["age: 67 missing → filled with the train median (38), beside age_missing"]
    run.write_run(RunRecord(command="tune", data="d.csv", seed=0, finished="x", filled=filled))
    run.write_decisions(
        DecisionLog(
            steps=[Step(index=0, problem="baseline", knob="baseline")],
            stop_message="the budget is spent",
            refit="nothing to refit: under k-fold the chosen model learned from train + dev",
            remaining_problem="variance",
            beyond_tuning=["get more training data of the dev distribution"],
        )
    )
    info = read_run_folder(run.path)
    assert dict(info.summary.facts)["Filled"] == filled[0]
    many = [f"c{i}: 1 missing → 0.5" for i in range(30)]  # was one 3,178-character fact
    run.write_run(RunRecord(command="tune", data="d.csv", finished="x", filled=many))
    said = dict(read_run_folder(run.path).summary.facts)["Filled"]
    assert said.endswith("c2: 1 missing → 0.5; … and 27 more (run.json: filled)")
    final = info.decisions.final
    for said in ("refit: nothing to refit", "remaining problem: variance",
                 "what tuning cannot do: get more training data"):  # fmt: skip
        assert said in final, final


def test_test_metric_tiles_are_named_in_words() -> None:
    from orthotune.report._sections import _metric_label

    assert _metric_label("macro_f1", 0.9) == "macro F1"  # was its key, "macro_f1"
    assert _metric_label("harmonic_f1", 0.0) == "harmonic F1 (0: some class has F1 0)"
    assert _metric_label("accuracy", 0.5) == "accuracy"


def test_columns_the_table_left_out_are_named_in_the_summary(tmp_path: Path) -> None:
    from orthotune._records import RunRecord

    run = RunDir.create(tmp_path / "run")
    run.write_run(RunRecord(command="tune", data="d.csv", left_out=["PassengerId", "Name"]))
    facts = dict(read_run_folder(run.path).summary.facts)
    assert facts["Columns left out"] == "PassengerId, Name"  # said on stderr only before


def test_a_trained_models_network_and_training_are_in_the_summary(tmp_path: Path) -> None:
    import orthotune

    orthotune.train("builtin:synthetic?n=200&features=4", out=tmp_path / "r",
                    training={"epochs": 2, "lr": 0.01}, model={"hidden": [8, 4]})  # fmt: skip
    facts = dict(read_run_folder(tmp_path / "r").summary.facts)
    assert facts["Network"] == "mlp, hidden 8-4, relu"
    assert facts["Training"] == "adam lr 0.01, constant schedule, 2 epochs, batch 64, L2 0, fp32"
    # the knobs beyond the optimizer's are said too (a report left out a kept augmentation)
    knobs = {"epochs": 2, "augment": "noise=0.4", "patience": 3, "label_smoothing": 0.1}
    orthotune.train("builtin:synthetic?n=200&features=4", out=tmp_path / "k",
                    training=knobs, model={"hidden": [8]})  # fmt: skip
    facts = dict(read_run_folder(tmp_path / "k").summary.facts)
    assert facts["Training"].endswith(
        "fp32, augmentation noise=0.4, early stopping (patience 3), label smoothing 0.1"
    )
    # per-layer dropout (a PBT winner's, a config's list) failed the whole report
    per_layer = {"hidden": [8, 4], "dropout": [0.1, 0.2]}
    orthotune.train("builtin:synthetic?n=200&features=4", out=tmp_path / "d",
                    training={"epochs": 1}, model=per_layer)  # fmt: skip
    assert (tmp_path / "d" / "report.html").is_file()
    facts = dict(read_run_folder(tmp_path / "d").summary.facts)
    assert facts["Network"] == "mlp, hidden 8-4, relu, dropout 0.1-0.2"


def test_step_zero_is_named_once_a_single_trial_singular_and_epochs_counted_from_one(
    tmp_path: Path,
) -> None:
    """The report read "Step 0 · baseline → baseline", "1 models trained", "train-dev 0", and
    drew epoch 0…N−1 where the terminal says epoch 1…N (a browser check)."""
    import orthotune
    from orthotune._records import DecisionLog, Step
    from orthotune.report._sections import _decisions

    log = DecisionLog(
        steps=[
            Step(index=0, problem="baseline", knob="baseline", target=""),
            Step(index=1, problem="variance", knob="regularization", target="dev"),
        ]
    )
    steps = _decisions(log).steps
    assert [(s.problem, s.knob) for s in steps] == [
        ("baseline", None),
        ("variance", "regularization"),
    ]
    out = tmp_path / "run"
    orthotune.tune(
        "builtin:synthetic?n=300&features=5", strategy="random", trials=1, out=out,
        write_report=False,
    )  # fmt: skip
    info = read_run_folder(out)
    facts = dict(info.summary.facts)
    assert facts["Time"].endswith("s · 1 trial this run")
    sizes = json.loads((out / "split.json").read_text())["sizes"]
    assert sizes["train-dev"] == 0 and "train-dev" not in facts["Split"]  # no part not made
    # epochs counted as the terminal counts them ("epoch 1/N"), on every curve
    assert info.curves.chosen.epochs[0] == 1.0 and info.curves.trials[0].epochs[0] == 1.0


def test_the_autopilots_trials_are_named_by_their_variant_in_the_report(tmp_path: Path) -> None:
    # a sweep's four trials read alike ("architecture=mlp, width=128 …") in the best-trials table
    import orthotune

    orthotune.tune("builtin:synthetic?n=300&features=4", trials=2, out=tmp_path / "r", seed=0)
    study = read_run_folder(tmp_path / "r").study
    assert study.labelled(10) and all(t.label for t in study.ranked(10))
    html = (tmp_path / "r" / "report.html").read_text()
    table = html[html.index("<h3>Best trials</h3>") :]
    assert "<th>variant</th>" in table and "mlp baseline" in table


def test_a_models_binned_inputs_are_in_the_summary() -> None:
    from types import SimpleNamespace

    from orthotune.models import ModelSpec
    from orthotune.report._sections import _trained_as

    spec = ModelSpec(input_shape=(2,), num_classes=2, hidden=(8,))
    bins = {"edges": [[0.0, 1.0], [2.0]], "points": [[0.5, 1.5], []], "mean": [], "scale": []}
    binned = "each numeric feature with its quantile bins beside it"
    for normalization, said in (
        ({"bins": bins}, f"{binned}, 2 shared values marked"),
        ({"bins": {**bins, "points": [[], []]}}, binned),
        ({}, None),
    ):
        manifest = SimpleNamespace(spec=spec, train_config=None, normalization=normalization)
        assert dict(_trained_as(manifest)).get("Inputs") == said


def test_the_input_shape_says_how_many_inputs_the_network_reads_after_encoding() -> None:
    # "Input shape 30" beside 144,642 parameters of a 128-128 MLP read as a typo: its bins
    from types import SimpleNamespace

    from orthotune.models import ModelSpec
    from orthotune.report._sections import _summary

    for reads, said in ((996, "30 (the network reads 996 inputs after encoding)"), (30, "30")):
        spec = ModelSpec(input_shape=(reads,), num_classes=2, hidden=(8,))
        manifest = SimpleNamespace(
            spec=spec, data_shape=(30,), class_names=(), train_config=None, normalization={}
        )
        assert dict(_summary(None, None, None, manifest, None).facts)["Input shape"] == said


def test_importance_of_a_study_of_many_trials_finds_the_parameter_that_matters() -> None:
    """fANOVA's trees are cut at ``IMPORTANCE_DEPTH`` (their cost after a run's budget grew with
    its trials): on 400 trials whose value is a function of lr alone, lr still holds nearly all
    of the importance."""
    import numpy as np
    import optuna

    from orthotune.report._sections import _importances

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    noise = np.random.default_rng(0)

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        trial.suggest_int("width", 8, 256)
        trial.suggest_categorical("activation", ["relu", "gelu"])
        return -((np.log10(lr) + 2.5) ** 2) + noise.normal(0, 0.01)

    study.optimize(objective, n_trials=400)
    got, note = _importances(study, optuna)
    assert note is None and got["lr"] > 0.9 and max(got, key=got.get) == "lr", got
