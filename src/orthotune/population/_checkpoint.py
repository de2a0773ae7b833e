"""Writing one member as a checkpoint: ``weights.safetensors`` + ``manifest.json``.

The same two files the single trainer writes (DESIGN.md's run folder): the weights are the
``state_dict`` of ``build_model(spec)``, the manifest names the spec and the training config, so
a best member is just a model.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from safetensors.torch import save_file

from orthotune.population._population import Population

MANIFEST_SCHEMA_VERSION = 1


def save_member(population: Population, member_id: int, directory: str | Path) -> Path:
    """Write member ``member_id`` to ``directory`` (created); returns the directory."""
    record = population.member(member_id)
    state = {k: v.detach().cpu().contiguous() for k, v in population.state_dict(member_id).items()}
    manifest = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "format": "orthotune-checkpoint",
        "spec": record.spec.model_dump(mode="json"),
        "config": record.config.model_dump(mode="json"),
        "seed": record.seed,
        "dtype": str(population.dtype).removeprefix("torch."),
        "trained_by": "population",
        "member_id": record.member_id,
        "status": record.status.value,
        "epochs": record.epochs,
        "steps": record.steps,
        "history": [r.model_dump(mode="json") for r in record.history],
    }
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    _atomic(out / "weights.safetensors", lambda p: save_file(state, p))
    _atomic(out / "manifest.json", lambda p: Path(p).write_text(json.dumps(manifest, indent=2)))
    return out


def _atomic(target: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
