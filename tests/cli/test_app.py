import json
import subprocess
import sys

import pytest

from tests.conftest import SRC


def test_help_lists_commands_and_does_not_import_torch():
    code = (
        "import sys; sys.argv=['orthotune','--help']\n"
        "from orthotune.cli import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "heavy = [m for m in ('torch','optuna','pandas') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy)); sys.exit(code)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(SRC)}
    )
    assert out.returncode == 0, out.stderr
    assert "Commands" in out.stdout
    assert "HEAVY=\n" in out.stdout + "\n"


def test_unknown_command_is_one_line_exit_2(run_cli):
    out = run_cli("no-such-command")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "No such command" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_option_is_one_line_exit_2(run_cli):
    out = run_cli("version", "--no-such-flag")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "--no-such-flag" in out.stderr


def test_version_json_is_only_json(run_cli):
    out = run_cli("version", "--json")
    assert out.returncode == 0
    assert json.loads(out.stdout)["orthotune"]


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (28, "orthotune: error: no space left on device (/x/p.csv): free some space, or give"),
        (30, "orthotune: error: read-only file system (/x/p.csv): give --out on a writable"),
    ],
)
def test_the_machines_refusal_is_one_line_exit_74(monkeypatch, capsys, code, said):
    """A full disk under --out was 'internal error: OSError: [Errno 28] …', exit 1."""
    import os

    from orthotune.cli import _main, version

    def refuse(*_args, **_kwargs):
        raise OSError(code, os.strerror(code), "/x/p.csv")

    monkeypatch.setattr(version.platform, "python_version", refuse)
    with pytest.raises(SystemExit) as stop:
        _main.main(["version"])
    assert stop.value.code == 74
    err = capsys.readouterr().err
    assert err.startswith(said) and err.count("\n") == 1
    assert _main._machine_trouble(OSError(5, "Input/output error")) is None  # orthotune's own
    try:  # under a library's own error (SQLite's through Optuna's): a full disk all the same
        try:
            raise OSError(28, "No space left on device")
        except OSError as cause:
            raise RuntimeError("StorageInternalError") from cause
    except RuntimeError as wrapped:
        assert _main._machine_trouble(wrapped).startswith("no space left on device: free")
    assert _main._machine_trouble(RuntimeError("database or disk is full")).startswith(
        "the disk is full"
    )
    # errors writes into RUN_DIR/analysis and has no --out: its fix was "give --out"
    read_only = OSError(30, "Read-only file system", "ro/t/analysis")
    assert _main._machine_trouble(read_only, command="train").endswith(
        "give --out on a writable file system"
    )
    said = _main._machine_trouble(read_only, command="errors")
    assert said.startswith("read-only file system (ro/t/analysis): errors writes into the run")
    assert "--out" not in said and "orthotune errors COPY" in said
