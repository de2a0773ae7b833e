import pytest
import torch

from orthotune._errors import InvalidInputError
from orthotune._records import History
from orthotune._rundir import RunDir, RunRecord, resolve_model_dir
from orthotune.models import ModelSpec, build_model
from orthotune.train import Manifest, save_checkpoint

SPEC = ModelSpec(input_shape=(3,), num_classes=2, hidden=(4,))


def test_create_refuses_an_existing_run_and_foreign_folders(tmp_path):
    run = RunDir.create(tmp_path / "run")
    run.write_run(RunRecord(command="train", data="x.csv", seed=1))
    with pytest.raises(InvalidInputError, match=r"already holds a run.*never overwrites"):
        RunDir.create(tmp_path / "run")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(InvalidInputError, match="is not empty and not an orthotune run"):
        RunDir.create(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    (tmp_path / "afile").write_text("")
    with pytest.raises(InvalidInputError, match="is a file, not a folder"):
        RunDir.create(tmp_path / "afile")
    (tmp_path / "empty").mkdir()
    assert RunDir.create(tmp_path / "empty").path == tmp_path / "empty"


def test_best_model_pointer_and_resolution(tmp_path):
    run = RunDir.create(tmp_path / "run")
    run.write_run(RunRecord(command="train"))
    assert RunDir.open(run.path).read_run().command == "train"
    # a killed job's folder: "give a model folder such as run/models/<name>" named none there is
    with pytest.raises(InvalidInputError, match="holds no model: its job did not finish"):
        resolve_model_dir(run.path)
    for name in ("a", "b"):
        save_checkpoint(run.model_dir(name), build_model(SPEC), Manifest(spec=SPEC, name=name))
    with pytest.raises(InvalidInputError, match=r"names no chosen model .* among a, b; fix: give"):
        resolve_model_dir(run.path)
    run.set_best("b")
    assert (run.models_dir / "best").read_text() == "b\n"
    assert not (run.models_dir / "best").is_symlink()
    assert resolve_model_dir(run.path) == run.model_dir("b")
    assert resolve_model_dir(run.model_dir("a")) == run.model_dir("a")
    assert run.model_names() == ["a", "b"]
    run.write_history("a", History())
    assert run.history_path("a").is_file()


def test_names_and_missing_runs_are_refused(tmp_path):
    run = RunDir(tmp_path)
    with pytest.raises(InvalidInputError, match=r"model name '\.\./x' is not allowed"):
        run.model_dir("../x")
    with pytest.raises(InvalidInputError, match="not an orthotune run folder"):
        RunDir.open(tmp_path)
    with pytest.raises(ValueError, match="no checkpoint"):
        run.set_best("ghost")
    assert torch.__version__  # torch imported: checkpoints above were real


def test_run_json_without_a_schema_version_is_migrated_and_a_bad_one_refused(tmp_path):
    import json

    run = RunDir.create(tmp_path / "run")
    run.write_run(RunRecord(command="tune", data="builtin:digits"))
    assert json.loads(run.run_json.read_text())["schema_version"] == 1
    old = {"data": "builtin:digits", "seed": 3, "config": {"study": "s"}}  # version 0
    run.run_json.write_text(json.dumps(old))
    record = run.read_run()
    assert (record.schema_version, record.command, record.seed) == (1, "unknown", 3)
    assert record.config == {"study": "s"}
    for text, message in (
        ("{not json", r"run\.json is unreadable \(JSONDecodeError"),
        ("[1, 2]", "holds a JSON list, not a run record"),
        ('{"schema_version": 99, "command": "tune"}', r"schema_version 99.*upgrade orthotune"),
        ('{"schema_version": 1, "seed": "x"}', r"\(schema_version 1\) is not a run record"),
    ):
        run.run_json.write_text(text)
        with pytest.raises(InvalidInputError, match=message):
            run.read_run()


def test_prune_models_keeps_the_chosen_one_and_the_newest_incumbents(tmp_path):
    run = RunDir.create(tmp_path / "run")
    names = ["baseline", "v1", "v4", "v9"]  # incumbents, oldest first
    for name in [*names, "stray"]:
        save_checkpoint(run.model_dir(name), build_model(SPEC), Manifest(spec=SPEC, name=name))
        run.write_history(name, History())
    (run.models_dir / "half").mkdir()  # a checkpoint a killed job left half-written
    assert run.prune_models(names, keep=None) == ["half", "stray"]  # default: every incumbent
    assert not run.history_path("stray").exists()
    run.set_best("v4")  # the chosen model is kept whatever its age
    assert run.prune_models(names, keep=2) == ["baseline", "v1"]
    assert run.model_names() == ["v4", "v9"]
    assert run.prune_models(names, keep=1) == ["v9"]
    assert run.model_names() == ["v4"] and run.history_path("v4").is_file()
    assert run.best_name() == "v4"
    for bad in (0, -1, True):
        with pytest.raises(InvalidInputError, match=rf"--keep {bad!r}: accepted is an integer"):
            run.prune_models(names, keep=bad)


def test_a_shared_studys_folder_points_at_its_workers_runs(tmp_path):
    from orthotune.analysis import read_predictions
    from orthotune.cli.tune import _given_out
    from orthotune.report import read_run_folder

    worker = tmp_path / "s" / "workers" / "vm-12"
    RunDir.create(worker).write_run(RunRecord(command="tune"))
    hint = (
        f"; {tmp_path / 's'} is the folder of a study shared by workers: each worker's run is "
        f"in {tmp_path / 's' / 'workers'}/ (e.g. {worker}): give one of them, or report the "
        "whole study with `orthotune report --study NAME --storage URL`"
    )
    with pytest.raises(InvalidInputError) as err:  # "has no manifest.json"
        resolve_model_dir(tmp_path / "s")
    assert str(err.value) == f"{tmp_path / 's'} holds no model of its own{hint}"
    with pytest.raises(InvalidInputError) as err:  # "fix: orthotune predict …" that failed
        read_predictions(tmp_path / "s")
    assert str(err.value).endswith(hint)
    with pytest.raises(InvalidInputError) as err:
        read_run_folder(tmp_path / "s")
    assert str(err.value).endswith(hint)
    # a worker's Ctrl-C names the --out it was given: resuming in its own folder nested another
    assert _given_out(str(worker)) == str(tmp_path / "s")
    assert _given_out(str(tmp_path / "run")) == str(tmp_path / "run")


def test_a_folder_another_live_job_claimed_is_refused_and_a_dead_ones_claim_is_freed(tmp_path):
    """Two jobs given one --out at once both found it empty and wrote one folder of two runs
    (run.json of one, split.json of the other). The first claims it until its run.json."""
    import os

    from orthotune._rundir import CLAIM_FILE

    first = RunDir.create(tmp_path / "run")
    claim = tmp_path / "run" / CLAIM_FILE
    assert claim.read_text().strip() == str(os.getpid())
    claim.write_text(f"{os.getppid()}\n")  # another process, still running: the claim holds
    with pytest.raises(
        InvalidInputError, match=r"is being written by another orthotune process \(pid"
    ):
        RunDir.create(tmp_path / "run")
    (tmp_path / "mine").mkdir()  # this process's own claim, left by a job it refused (a
    (tmp_path / "mine" / CLAIM_FILE).write_text(f"{os.getpid()}\n")  # notebook's): taken over
    RunDir.create(tmp_path / "mine")
    first.write_run(RunRecord(command="train", data="d.csv", seed=0))
    first.release()  # as Job.start does once run.json says whose it is
    assert not claim.exists()
    with pytest.raises(InvalidInputError, match="already holds a run"):
        RunDir.create(tmp_path / "run")
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / CLAIM_FILE).write_text("4194303\n")  # no such pid: killed, say
    RunDir.create(tmp_path / "gone")  # free again
    (tmp_path / "blank").mkdir()  # a claim whose pid was never written (a full disk, a kill)
    (tmp_path / "blank" / CLAIM_FILE).write_text("")
    with pytest.raises(InvalidInputError, match="being written by another"):
        RunDir.create(tmp_path / "blank")  # just made: its pid may come this instant
    os.utime(tmp_path / "blank" / CLAIM_FILE, (0, 0))  # long ago: it never came
    RunDir.create(tmp_path / "blank")  # it refused the folder for good


def test_an_out_that_links_to_a_folder_not_made_yet_makes_it(tmp_path):
    """--out a dangling symlink was an internal FileExistsError."""
    (tmp_path / "runs").mkdir()
    (tmp_path / "out").symlink_to(tmp_path / "runs" / "a")
    run = RunDir.create(tmp_path / "out")
    run.write_run(RunRecord(command="train", data="d.csv", seed=0))
    assert (tmp_path / "runs" / "a" / "run.json").is_file()


def test_a_claim_whose_pid_cannot_be_written_is_not_left_behind(tmp_path, monkeypatch):
    """A full disk as the claim was made left it empty, and the same --out was refused after
    the space was freed."""
    import errno
    import os

    from orthotune import _rundir

    real = os.fdopen

    class Full:  # the claim's file opens, and its pid does not fit on the disk
        def __init__(self, fd, *args, **kwargs):
            self.handle = real(fd, *args, **kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_rundir.os, "fdopen", Full)
    with pytest.raises(OSError, match="No space left"):
        RunDir.create(tmp_path / "run")
    assert not (tmp_path / "run" / _rundir.CLAIM_FILE).exists()
    monkeypatch.undo()
    RunDir.create(tmp_path / "run")  # the same --out, the space freed


def test_a_run_folder_moved_while_its_job_runs_is_not_made_again_at_the_old_path(tmp_path):
    import orthotune

    out, moved = tmp_path / "runs" / "a", tmp_path / "runs" / "b"

    def move_it(step):  # the user tidies runs/ while the job goes on
        if out.exists():
            out.rename(moved)

    # was: the next write made runs/a again (mkdir of its parents), the run split in two
    # folders, and the job ended in an internal FileNotFoundError on runs/a/run.json
    with pytest.raises(InvalidInputError, match=r"runs/a was moved or deleted while the job ran"):
        orthotune.tune("builtin:synthetic?n=300&features=5", trials=3, out=out, on_step=move_it)
    assert not out.exists() and (moved / "run.json").is_file()


def test_abandon_never_removes_another_folder_at_the_old_path(tmp_path):
    run = RunDir.create(tmp_path / "a")
    (tmp_path / "a").rename(tmp_path / "b")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "mine.txt").write_text("the user's")
    with pytest.raises(InvalidInputError, match="was moved or deleted while the job ran"):
        run.check_in_place()
    run.abandon()  # the job refused: it removes what it made, not what stands there now
    assert (tmp_path / "a" / "mine.txt").read_text() == "the user's"
