"""The pipeline the three jobs share (``train``; ``tune`` with the autopilot or a search):
load → levels → split → run folder → (the job trains) → models saved with their manifests →
the chosen model finished (test once, temperature scaling, latency) → run.json closed.

- ``load``, ``check_levels``: DATA (a DataFrame, kept as ``DATA_FILE``, or a ``Dataset``) and
  the human / Bayes error a run uses
- ``Job``: ``start`` / ``resume`` a run folder, ``manifest``, ``save_model``, ``finish``
  (→ ``Finished``), ``close``
- ``test_metrics``: the headline numbers of the test scores
"""

from orthotune.pipeline._job import (
    DATA_FILE,
    FLAGS,
    Finished,
    Job,
    check_levels,
    load,
    test_metrics,
)

__all__ = ["DATA_FILE", "FLAGS", "Finished", "Job", "check_levels", "load", "test_metrics"]
