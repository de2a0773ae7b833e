"""How many CPU threads should training use? Timed quiet and beside one busy process.

torch and scikit-learn start one OpenMP thread per core, and those threads wait for each other
at the end of each parallel operation; when another process keeps a core busy, one of them is
often off the CPU at that moment. This bench times the work orthotune does, each in a fresh
process, with one thread per core (``OMP_NUM_THREADS`` set to the core count, or to
``--threads``) and with one thread, first on a quiet machine and then beside a busy process that
this script starts (``--busy torch``, the default: an MLP training on torch's own threads, as a
second run or a notebook would; ``--busy python``: a Python loop that never sleeps):

- ``mlp``: ``--steps`` AdamW steps of the starting MLP on a 166-feature table (128-128 units,
  batch norm, batches of 128), as ``orthotune.train.Trainer`` trains it;
- ``tune``: ``orthotune tune builtin:breast-cancer --trials 3 --no-refit`` (k-fold MLPs, the
  yardstick; a count budget, so every side does the same work), also with ``OMP_NUM_THREADS``
  unset (the ``own`` side: orthotune's choice, ``orthotune.train.training_threads``; the core
  count is what a user got before it chose one thread for vectors);
- ``cnn``: the same steps of a 2-layer 1-D CNN on 40-sample signals (64 channels), batches of 128;
- ``hgb``: ``HistGradientBoostingClassifier()`` fitted on 1,500 rows × 20 (the autopilot's
  yardstick on a small table).

    python bench/threads.py                 # every workload, 3 repeats each
    python bench/threads.py --work mlp,hgb --repeats 1

Each row: the median wall seconds of the repeats, with the libraries' threads and with one.
Last line ``cores=N`` and, per workload and condition, ``<work>_<quiet|busy>_ratio=R``: the
many-thread time over the one-thread time (above 1: one thread is faster); for ``tune`` also
``tune_<quiet|busy>_own_ratio``, orthotune's own choice over one thread.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header

ROOT = Path(__file__).resolve().parents[1]
WORK = ("mlp", "tune", "cnn", "hgb")

# a network's STEPS AdamW steps on batches of 128 (its model ``m`` and data ``x``, ``y`` above)
_STEPS = """
opt = torch.optim.AdamW(m.parameters(), 1e-3)
t = time.perf_counter()
for i in range(0, len(y), 128):
    loss = nn.functional.cross_entropy(m(x[i:i + 128]), y[i:i + 128])
    opt.zero_grad(); loss.backward(); opt.step()
print(time.perf_counter() - t)
"""
_SNIPPETS = {  # each times itself (its imports off the clock) and prints its seconds
    "mlp": """
import time, torch
from torch import nn
m = nn.Sequential(nn.Linear(166, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 128),
                  nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 2))
x, y = torch.randn(128 * STEPS, 166), torch.randint(0, 2, (128 * STEPS,))
"""
    + _STEPS,
    "cnn": """
import time, torch
from torch import nn
m = nn.Sequential(nn.Conv1d(1, 64, 5, padding=2), nn.ReLU(), nn.Conv1d(64, 64, 5, padding=2),
                  nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(64, 10))
x, y = torch.randn(128 * STEPS, 1, 40), torch.randint(0, 10, (128 * STEPS,))
"""
    + _STEPS,
    "hgb": """
import time
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
rng = np.random.default_rng(0)
x = rng.normal(size=(1500, 20))
y = (x[:, 0] + x[:, 1] * x[:, 2] + rng.normal(size=1500) > 0).astype(int)
t = time.perf_counter()
HistGradientBoostingClassifier(random_state=0).fit(x, y)
print(time.perf_counter() - t)
""",
}


def _command(work: str, steps: int, out: Path) -> list[str]:
    if work == "tune":
        return [
            sys.executable, "-m", "orthotune", "tune", "builtin:breast-cancer", "--trials", "3",
            "--no-refit", "--out", str(out),
        ]  # fmt: skip
    return [sys.executable, "-c", _SNIPPETS[work].replace("STEPS", str(steps))]


# what keeps a core busy beside the timed work: a Python loop, or another training process —
# an MLP's steps on torch's own threads, as a second run or a notebook beside it would be
BUSY = {
    "python": "while True: pass",
    "torch": """
import torch
from torch import nn
m = nn.Sequential(nn.Linear(166, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 2))
opt = torch.optim.AdamW(m.parameters(), 1e-3)
x, y = torch.randn(128, 166), torch.randint(0, 2, (128,))
while True:
    loss = nn.functional.cross_entropy(m(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
""",
}


def _env(threads: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["PYTHONPATH"] = str(ROOT / "src")
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def run_once(work: str, threads: int | None, steps: int) -> float:
    """Seconds of one ``work`` in a fresh process (``threads``: ``OMP_NUM_THREADS``; None
    leaves it unset). The snippets print their own seconds; ``tune`` is timed from outside."""
    env = _env(threads)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        out = subprocess.run(
            _command(work, steps, Path(tmp) / "run"),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.perf_counter() - started
    return elapsed if work == "tune" else float(out.stdout.strip().splitlines()[-1])


def ratios(times: dict[tuple[str, str, str], float]) -> dict[str, float]:
    """From ``times[(work, condition, side)]`` (side ``many``, ``one`` or ``own``): per work and
    condition, ``<work>_<condition>_ratio`` — the many-thread seconds over the one-thread
    seconds (above 1: one thread is faster) — and ``<work>_<condition>_own_ratio``, orthotune's
    own choice over one thread; a ratio whose sides are not both there is left out."""
    out = {}
    for work, condition, side in sorted(times):
        one = times.get((work, condition, "one"))
        if one is None or side == "one":
            continue
        suffix = "_ratio" if side == "many" else f"_{side}_ratio"
        out[f"{work}_{condition}{suffix}"] = times[(work, condition, side)] / one
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default=",".join(WORK))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None, help="the many side (default: cores)")
    ap.add_argument("--busy", choices=sorted(BUSY), default="torch", help="the busy process")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    print(machine_header())
    works = [w for w in args.work.split(",") if w]
    unknown = sorted(set(works) - set(WORK))
    if unknown:
        raise SystemExit(f"--work {','.join(unknown)}: unknown; accepted: {', '.join(WORK)}")
    times: dict[tuple[str, str, str], float] = {}
    for condition in ("quiet", "busy"):
        busy = None
        if condition == "busy":
            busy = subprocess.Popen([sys.executable, "-c", BUSY[args.busy]], env=_env(None))
            time.sleep(1.0)
        try:
            for work in works:
                # "many": the libraries' own count, set (tune, unset, now chooses one thread
                # for vectors: "own"); "one": one thread
                sides = [("many", args.threads or cores), ("one", 1)]
                if work == "tune":
                    sides.append(("own", None))
                for side, threads in sides:
                    runs = [run_once(work, threads, args.steps) for _ in range(args.repeats)]
                    times[(work, condition, side)] = statistics.median(runs)
                    shown = ", ".join(f"{r:.2f}" for r in runs)
                    label = f"OMP_NUM_THREADS={threads}" if threads else "OMP_NUM_THREADS unset"
                    print(
                        f"{condition:<5} {work:<4} {label:<23} "
                        f"{statistics.median(runs):8.2f} s ({shown})",
                        flush=True,
                    )
        finally:
            if busy is not None:
                busy.kill()
                busy.wait()
    line = " ".join(f"{k}={v:.2f}" for k, v in ratios(times).items())
    print(f"cores={cores} {line}")


if __name__ == "__main__":
    main()
