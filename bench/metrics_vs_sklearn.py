"""orthotune's confusion matrix + full per-class report vs scikit-learn, same predictions.

Data: N predictions over K classes (default 10 M, 10), integer codes, 80 % correct. orthotune:
``classification_report`` (one validation pass, one bincount, closed forms -> per-class
precision / recall / F1 / support, macro / micro / weighted / harmonic averages, accuracy,
confusion matrix). Peers: ``sklearn.metrics.classification_report(output_dict=True)`` (the
headline ratio) and ``precision_recall_fscore_support`` + ``confusion_matrix``. Values must be
identical (exact float equality, per class and averaged, and the confusion matrix).

    python bench/metrics_vs_sklearn.py            # 10 M predictions, 10 classes
    python bench/metrics_vs_sklearn.py --quick    # 200 k predictions, seconds

Last line: ``speedup=… speedup_vs_prfs=… orthotune_ms=… sklearn_report_ms=… … identical=1|0``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import classification_report as sk_report
from sklearn.metrics import confusion_matrix as sk_confusion
from sklearn.metrics import precision_recall_fscore_support

from orthotune.metrics import classification_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header


def timed(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 k predictions (seconds)")
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7, help="orthotune timing repeats")
    parser.add_argument("--peer-repeats", type=int, default=1, help="scikit-learn repeats")
    args = parser.parse_args()
    print(machine_header(), flush=True)  # the README: every bench prints it first
    n = 200_000 if args.quick else args.n
    k = args.classes

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < 0.8, y_true, rng.integers(0, k, n))
    labels = list(range(k))

    classification_report(y_true, y_pred, n_classes=k)  # warm-up (imports, allocator)
    ours_s, ours = timed(lambda: classification_report(y_true, y_pred, n_classes=k), args.repeats)
    report_s, sk = timed(
        lambda: sk_report(y_true, y_pred, labels=labels, output_dict=True, zero_division=0),
        args.peer_repeats,
    )

    def prfs_and_confusion():
        return (
            precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0),
            sk_confusion(y_true, y_pred, labels=labels),
        )

    prfs_s, ((p, r, f, s), cm) = timed(prfs_and_confusion, args.peer_repeats)

    checks = [np.array_equal(np.array(ours.confusion), cm)]
    checks += [
        ours.scores("precision") == p.tolist(),
        ours.scores("recall") == r.tolist(),
        ours.scores("fbeta") == f.tolist(),
        ours.scores("support") == s.astype(float).tolist(),
        ours.accuracy == sk["accuracy"],
    ]
    for c in ours.per_class:
        row = sk[c.label]
        checks.append(
            (c.precision, c.recall, c.fbeta, c.support)
            == (row["precision"], row["recall"], row["f1-score"], row["support"])
        )
    for mine, theirs in ((ours.macro, sk["macro avg"]), (ours.weighted, sk["weighted avg"])):
        checks.append(
            (mine.precision, mine.recall, mine.fbeta)
            == (theirs["precision"], theirs["recall"], theirs["f1-score"])
        )
    identical = int(all(checks))

    print(f"predictions {n:,}, classes {k}")
    print(
        f"orthotune classification_report          {ours_s * 1e3:10.1f} ms (median of "
        f"{args.repeats})"
    )
    print(f"sklearn classification_report            {report_s * 1e3:10.1f} ms")
    print(f"sklearn prfs + confusion_matrix          {prfs_s * 1e3:10.1f} ms")
    print(f"identical values: {identical} ({sum(checks)}/{len(checks)} checks)")
    print(
        f"speedup={report_s / ours_s:.1f} speedup_vs_prfs={prfs_s / ours_s:.1f} "
        f"orthotune_ms={ours_s * 1e3:.1f} sklearn_report_ms={report_s * 1e3:.0f} "
        f"sklearn_prfs_ms={prfs_s * 1e3:.0f} n={n} classes={k} identical={identical}"
    )


if __name__ == "__main__":
    main()
