"""Writing one member as the single trainer's checkpoint (``save_checkpoint``).

The folder holds ``weights.safetensors`` (the ``state_dict`` of ``build_model(spec)``) and
``manifest.json`` (the trainer's ``Manifest``: spec, training config, metrics), so the best
member of a population is just a model: ``load_checkpoint`` and ``orthotune predict`` read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orthotune.population._population import Population
from orthotune.train import Manifest, save_checkpoint


def save_member(
    population: Population, member_id: int, directory: str | Path, **manifest: Any
) -> Manifest:
    """Write member ``member_id`` to ``directory``; ``manifest`` adds fields of the trainer's
    ``Manifest`` (class_names, normalization, data, …). Returns the manifest as written."""
    record = population.member(member_id)
    net = population.export(member_id)
    metrics = dict(manifest.pop("metrics", {}))
    if record.history:
        kept = record.history[record.best_epoch] if record.restored_best else record.history[-1]
        metrics.setdefault("train_loss", kept.train_loss)
        metrics.setdefault("train_error", kept.train_error)
        metrics.setdefault("dev_loss", kept.dev_loss)
        metrics.setdefault("dev_error", kept.dev_error)
    fields = {
        "name": f"member-{member_id}",
        "spec": record.spec,
        "train_config": record.config,
        "metrics": metrics,
        **manifest,
    }
    return save_checkpoint(directory, net, Manifest(**fields))
