"""How long does the autopilot's gradient-boosting yardstick take? Measured on the development
group's sets, where ``autopilot._yardstick.SHARE`` (its most, as a share of a time budget) was
chosen.

For each development set (``bench/datasets.yaml``; signals and images get no yardstick and
print "none") and seed, the suite's split is made and ``orthotune.tune`` runs step 0 alone
(``trials=1``: a count budget, under which the yardstick has no time limit), so its full time is
measured as the autopilot measures it (hold-out with early stopping on dev, or k-fold out of fold
on small data); the run folder's ``decisions.json`` holds it. **No test figure is read.**

    python bench/yardstick_time.py                      # every development set, seed 0
    python bench/yardstick_time.py --sets wine --seeds 2

Prints one row per set and seed (seconds, and that share of a 300-s budget), then
``yardstick_max_s=S yardstick_max_share=F``: the longest, and its share of 300 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header
from suite import materialize, read_datasets

import orthotune

BUDGET_S = 300.0  # the default budget the share is read against


def seconds(name: str, seed: int, cache: Path) -> float | None:
    """The yardstick's seconds on the set ``name``'s split ``seed`` (None: it had none)."""
    ds = next(d for d in read_datasets() if d.name == name)
    m = materialize(ds, seed, cache)
    with tempfile.TemporaryDirectory() as tmp:
        table = {} if m.options is None else {"target": m.options.target, "split_col": "split"}
        orthotune.tune(
            m.spec,
            **table,
            trials=1,
            seed=seed,
            out=Path(tmp) / "run",
            write_report=False,
        )
        log = json.loads((Path(tmp) / "run" / "decisions.json").read_text())
    return None if log.get("yardstick") is None else float(log["yardstick"]["seconds"])


def main() -> None:
    sets = [d.name for d in read_datasets() if d.group == "development"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(sets))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "orthotune-suite"
    )
    args = parser.parse_args()
    print(machine_header(), flush=True)
    longest = 0.0
    for name in args.sets.split(","):
        for seed in range(args.seeds):
            s = seconds(name, seed, args.cache)
            shown = "none" if s is None else f"{s:.2f} s ({s / BUDGET_S:.2%} of {BUDGET_S:.0f} s)"
            print(f"{name:<20} seed {seed}  yardstick {shown}", flush=True)
            longest = max(longest, s or 0.0)
    print(f"yardstick_max_s={longest:.2f} yardstick_max_share={longest / BUDGET_S:.4f}")


if __name__ == "__main__":
    main()
