import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SRC

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "label_noise.py"


@pytest.mark.slow
def test_quick_label_noise_benchmark_reports_every_method():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PYTHONPATH": str(SRC)},
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    fields = dict(pair.split("=") for pair in lines[-1].split())
    assert list(fields) == [
        "precision",
        "recall",
        "cleaned_accuracy_gap",
        "cleanlab_precision",
        "cleanlab_recall",
    ]
    for key in ("precision", "recall", "cleanlab_precision", "cleanlab_recall"):
        assert 0.0 <= float(fields[key]) <= 1.0
    table = "\n".join(lines)
    for method in ("confident", "iterative", "cluster", "cleanlab default"):
        assert method in table
