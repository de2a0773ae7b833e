import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from orthotune import InvalidInputError
from orthotune._io import atomic_write_bytes, atomic_write_json, atomic_write_text, check_writable

SRC = Path(__file__).resolve().parents[1] / "src"


def test_atomic_writes_replace_and_leave_no_temp_files(tmp_path):
    target = tmp_path / "deep" / "file.json"
    atomic_write_json(target, {"a": 1})
    atomic_write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    atomic_write_text(tmp_path / "t.txt", "héllo")
    assert (tmp_path / "t.txt").read_text(encoding="utf-8") == "héllo"
    atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "b.bin",
        "file.json",
        "t.txt",
    ]


def test_json_refuses_nan_rather_than_writing_invalid_json(tmp_path):
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "x.json", {"a": float("nan")})
    assert not (tmp_path / "x.json").exists()
    assert list(tmp_path.iterdir()) == []  # the temp file was removed


@pytest.mark.slow
def test_sigkill_mid_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "data.txt"
    target.write_text("old")
    code = (
        "import sys; from orthotune._io import atomic_write_text; "
        "atomic_write_text(sys.argv[1], 'new' * 1000)"
    )
    _killed_half_way(code, target)
    assert target.read_text() == "old"


def _killed_half_way(code: str, target: Path) -> None:
    """Run ``code`` (a writer of ``target``, argv[1]) in a process killed at its fault point."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "ORTHOTUNE_FAULT": "atomic_write"}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == -signal.SIGKILL
    assert "orthotune-fault: atomic_write" in proc.stderr  # killed half-way, not before


@pytest.mark.slow
def test_sigkill_mid_csv_write_keeps_the_old_file_and_a_whole_write_reads_back(tmp_path):
    import pandas as pd

    from orthotune._io import atomic_write_csv

    target = tmp_path / "p.csv"
    frame = pd.DataFrame({"id": ["a", "b", "c"], "p_x": [0.25, 0.5, 1e-30]})
    atomic_write_csv(target, frame)  # streamed in two halves: one header, every row once
    assert pd.read_csv(target, converters={"p_x": float}).to_dict("list") == frame.to_dict("list")
    code = (
        "import sys, pandas as pd; from orthotune._io import atomic_write_csv; "
        "atomic_write_csv(sys.argv[1], pd.DataFrame({'id': list('xyzw')}))"
    )
    _killed_half_way(code, target)
    assert pd.read_csv(target, converters={"p_x": float}).to_dict("list") == frame.to_dict("list")


def test_predictions_are_written_as_float32_text(tmp_path):
    import numpy as np
    import pandas as pd

    from orthotune.train import write_predictions_csv

    p = np.array([0.1 + 1e-12, 1 / 3, 1.2345678901234567e-30])
    frame = pd.DataFrame({"id": [1.5, 2.5, 3.5], "y_pred": ["a"] * 3, "confidence": p, "p_a": p})
    text = write_predictions_csv(frame, tmp_path / "p.csv").read_text()
    # float64's repr took 22 characters a cell: 2.2 GB for 100,000 rows × 1,000 classes
    assert text.splitlines()[1:] == [
        "1.5,a,0.1,0.1",
        "2.5,a,0.33333334,0.33333334",
        "3.5,a,1.2345679e-30,1.2345679e-30",
    ]  # the ids (any other column) as they were


def test_written_files_follow_the_umask_not_mkstemps_0600(tmp_path):
    import os

    from orthotune._io import atomic_write_text

    before = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "result.json", "{}")
    finally:
        os.umask(before)
    assert path.stat().st_mode & 0o777 == 0o644


def test_an_output_under_a_file_or_in_a_folder_that_takes_no_file_is_refused(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a,label\n1,x\n")
    for folder in (True, False):
        with pytest.raises(InvalidInputError, match=r"data\.csv is a file, so nothing can be"):
            check_writable(data / "deeper" / "out", folder=folder)
    if Path("/proc").is_dir():  # no new file in /proc, not even for root
        with pytest.raises(InvalidInputError, match=r"the folder /proc takes no new file"):
            check_writable("/proc/run", folder=True)
    check_writable(tmp_path / "new" / "run", folder=True)  # made later, by the writer
    check_writable(tmp_path / "p.csv", folder=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]  # nothing left behind
    assert data.read_text() == "a,label\n1,x\n"


def test_a_path_through_a_missing_folder_and_up_is_checked_as_the_file_it_names(tmp_path):
    from orthotune._io import check_replaceable

    mine = tmp_path / "notes.csv"
    mine.write_text("my notes\n")
    around = tmp_path / "nosuchdir" / ".." / "notes.csv"  # was written over: it "did not exist"
    with pytest.raises(InvalidInputError, match=r"notes.csv exists and is not a table written"):
        check_replaceable(around, ours=lambda p: False, what="a table")
    assert mine.read_text() == "my notes\n" and not (tmp_path / "nosuchdir").exists()


def test_a_run_folders_own_records_are_no_place_for_an_output(tmp_path):
    from orthotune._io import check_replaceable

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{}")
    for inside in ("analysis/predictions.csv", "models/mlp/x.csv"):
        with pytest.raises(InvalidInputError, match=r"where the run keeps its own records"):
            check_replaceable(tmp_path / "run" / inside, ours=lambda p: True, what="a table")
    check_replaceable(tmp_path / "run" / "predictions.csv", ours=lambda p: True, what="a table")
