"""Checkpoints: a folder with ``weights.safetensors`` and ``manifest.json`` — never pickle.

``manifest.json`` (``Manifest``) holds everything needed to use the weights on new data: the
``ModelSpec``, normalization statistics, class and feature names, the data encoding, the
training config, metrics, the softmax temperature (probabilities are ``softmax(logits / T)``;
T is fitted on dev by temperature scaling, and a manifest written before it existed reads as
T = 1), library versions and the sha256 of the weights file.

Writing (``save_checkpoint``) is crash-safe. Each file is written atomically (temp file in the
same folder, fsync, ``os.replace``; ``orthotune._io``), weights first, manifest last:

1. the committed weights file (the one the current manifest names), if any, is kept as
   ``weights.previous.safetensors`` (a hard link);
2. the new weights replace ``weights.safetensors``;
3. the new manifest replaces ``manifest.json``;
4. ``weights.previous.safetensors`` is removed.

A reader (``load_checkpoint``) trusts only weights whose sha256 equals the manifest's: after a
crash between 2 and 3 the manifest still describes the previous weights, which it finds in
``weights.previous.safetensors``. So a process killed at any point leaves the previous
checkpoint loadable. Fault points for tests (``ORTHOTUNE_FAULT``, see ``orthotune._faults``):
``checkpoint_write`` (half of the new weights written to the temp file) and
``checkpoint_commit`` (new weights in place, manifest not yet).

Loading refuses anything else — a pickle or ``torch.save`` file, a folder without a manifest,
a hash mismatch — with a one-line ``InvalidInputError`` naming the file and the accepted format.

**An ensemble is one checkpoint.** ``save_checkpoint(folder, Ensemble(models), manifest)`` writes
each member's weights to its own safetensors file, ``member-<k>-<first 12 hex of its
sha256>.safetensors`` (k = 1 … K), and one manifest whose ``members`` list each file with its
sha256 (in member order; ``spec`` is the members' architecture; ``weights_sha256`` is the sha256 of
the members' hashes, one per line, so it still names the weights as a whole). ``load_checkpoint``
gives the ``Ensemble`` back — its output is the log of the members' averaged probabilities, so
``predict`` (temperature included), ``errors``, latency and parameter counts treat it as one model
— and refuses a member file that is missing or whose sha256 differs, naming the file, the expected
hash and the fix. Member files are named by their content, so a new save writes new files beside
the committed ones, commits by replacing the manifest, and only then removes the files the new
manifest does not name: a crash at any point leaves the previous checkpoint loadable. A manifest
with members has ``schema_version`` 2 (an older orthotune says "upgrade" instead of misreading it);
a one-model manifest keeps version 1, its layout unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
from collections.abc import Collection
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from torch import nn

from orthotune._errors import InvalidInputError
from orthotune._faults import fault_point
from orthotune._io import atomic_write_bytes, atomic_write_json
from orthotune.models import Ensemble, ModelSpec, Net, build_model
from orthotune.train._config import TrainConfig
from orthotune.train._threads import chosen_threads

__all__ = [
    "MANIFEST_FILE",
    "WEIGHTS_FILE",
    "InitRecord",
    "Manifest",
    "MemberFile",
    "library_versions",
    "load_checkpoint",
    "model_from_bytes",
    "read_manifest",
    "save_checkpoint",
    "weights_to_bytes",
]

SCHEMA_VERSION = 2  # the newest manifest this reads (2: an ensemble's ``members``)
SINGLE_SCHEMA_VERSION = 1  # what a one-model manifest is written as (its layout is version 1's)
FORMAT = "orthotune.checkpoint"
MANIFEST_FILE = "manifest.json"
WEIGHTS_FILE = "weights.safetensors"
PREVIOUS_FILE = "weights.previous.safetensors"
MEMBER_FILE = re.compile(r"^member-\d+-[0-9a-f]{12}\.safetensors$")
_ACCEPTED = (
    f"accepted: an orthotune checkpoint folder ({MANIFEST_FILE} + {WEIGHTS_FILE}, written by "
    "save_checkpoint or `orthotune train`); pickle and torch.save files are never loaded"
)
_VERSIONED = ("orthotune", "torch", "safetensors", "numpy", "pydantic")


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a checkpoint depends on."""
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine_facts(input_dims: int | None = None) -> dict[str, Any]:
    """The machine a run trains on: host name, CPU model, cores, torch threads (those the
    training of examples of ``input_dims`` dimensions gets on the CPU: ``chosen_threads``), the
    GPU (or none) — what run.json and the report name beside its durations and latency."""
    import os

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            named = (ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name"))
            cpu = next(named, cpu)
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    threads = torch.get_num_threads()
    if input_dims is not None and gpu == "none":
        threads = chosen_threads(input_dims) or threads
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": threads,
        "gpu": gpu,
    }


def _jsonable(value: Any) -> Any:
    """Tensors and arrays to lists, recursively, so normalization stats fit in JSON."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class InitRecord(BaseModel):
    """Where a fine-tuned model's starting weights came from (``--init-from``, ``_transfer``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str  # the run or model folder given
    weights_sha256: str  # of the weights it started from
    freeze: int = 0  # the first layers kept as they were
    replaced_output: bool = False  # a new output layer (the classes differ)


class MemberFile(BaseModel):
    """One ensemble member's weights file (a plain name inside the checkpoint folder) and its
    sha256."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(pattern=MEMBER_FILE.pattern)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Manifest(BaseModel):
    """What a checkpoint's weights mean and where they came from."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    format: Literal["orthotune.checkpoint"] = FORMAT
    name: str = "model"
    spec: ModelSpec
    weights_file: Literal["weights.safetensors"] | None = WEIGHTS_FILE  # None: an ensemble
    weights_sha256: str = ""  # filled in by save_checkpoint (an ensemble: of its members')
    # an ensemble's members in order (filled in by save_checkpoint); empty: one model
    members: tuple[MemberFile, ...] = ()
    class_names: tuple[str, ...] = ()
    text_labels: bool = False  # the labels were text ("0"/"1" strings): classes_ keeps them so
    feature_names: tuple[str, ...] = ()
    data: str = ""  # the DATA the model was trained on (path or builtin:NAME)
    data_shape: tuple[int, ...] | None = None  # one example's shape as loaded (before reshape)
    data_options: dict[str, Any] | None = None  # the LoadOptions of training (roles of columns)
    normalization: dict[str, Any] | None = None  # the data Normalizer's state_dict (JSON-able)
    encoding: dict[str, Any] | None = None  # how raw columns became features (data encoding)
    train_config: TrainConfig | None = None
    init_from: InitRecord | None = None  # transfer learning: the weights it started from
    # the parts of its run's split the weights learned from: ("train", "dev") after the
    # autopilot's refit on train + dev or under k-fold; () (older checkpoints): train only
    learned_from: tuple[str, ...] = ()
    # one spelling: ``train_dev_error``, never ``train-dev_error`` (``_one_spelling``)
    metrics: dict[str, float | None] = Field(default_factory=dict)
    # probabilities are softmax(logits / temperature): temperature scaling fitted on dev
    # (orthotune.metrics.calibrate_temperature); 1 = uncalibrated, and older manifests
    temperature: float = Field(default=1.0, gt=0)
    versions: dict[str, str] = Field(default_factory=dict)  # filled in by save_checkpoint
    created: str = ""  # ISO time, filled in by save_checkpoint
    # the sha256 of this manifest's other fields (``content_sha256``), filled in by
    # save_checkpoint: an edited spec (relu → tanh) loaded the weights into another network
    # and changed every prediction without a word; "" (older manifests): not checked
    manifest_sha256: str = ""

    def content_sha256(self) -> str:
        """The sha256 of every field but ``manifest_sha256`` as the file holds them (its JSON,
        a NaN metric as null), keys sorted: the same before the write and after the read."""
        fields = json.loads(self.model_dump_json(exclude={"manifest_sha256"}))
        return _sha256(json.dumps(fields, sort_keys=True).encode("utf-8"))

    def sealed(self) -> Manifest:
        """This manifest with its ``manifest_sha256`` filled in."""
        return self.model_copy(update={"manifest_sha256": self.content_sha256()})

    @field_validator("metrics", mode="before")
    @classmethod
    def _one_spelling(cls, metrics: Any) -> Any:
        """A metric's name as an identifier: a split's name ``train-dev`` is spelled
        ``train_dev`` in it, whoever wrote it (manifests written before read the same)."""
        if not isinstance(metrics, dict):
            return metrics
        return {str(k).replace("-", "_"): v for k, v in metrics.items()}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _members_sha256(members: tuple[MemberFile, ...]) -> str:
    """An ensemble's ``weights_sha256``: the sha256 of its members' hashes, one per line."""
    return _sha256("".join(f"{m.sha256}\n" for m in members).encode("ascii"))


def _committed_hash(folder: Path) -> str | None:
    try:
        raw = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw.get("weights_sha256") if isinstance(raw, dict) else None


def _keep_previous(folder: Path) -> None:
    """Keep the committed weights (the ones the manifest names) as weights.previous.safetensors.

    If weights.safetensors is not the committed file (an earlier save died between its steps 2
    and 3), the committed copy already is weights.previous.safetensors: leave it alone.
    """
    current = folder / WEIGHTS_FILE
    if not current.is_file():
        return
    committed = _committed_hash(folder)
    if committed is None or _sha256(current.read_bytes()) != committed:
        return
    tmp = folder / f".{PREVIOUS_FILE}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        os.link(current, tmp)
    except OSError:  # file systems without hard links: a copy does the same job
        shutil.copyfile(current, tmp)
    os.replace(tmp, folder / PREVIOUS_FILE)


def weights_to_bytes(model: nn.Module) -> bytes:
    """``model``'s weights as the bytes of a safetensors file (what ``save_checkpoint`` writes):
    the same weights, the same bytes. The metadata is one key: safetensors writes a map of
    several in any order (``{"format", "orthotune"}`` gave two different files of one model,
    so an ensemble member's name and sha256 changed from run to run); the manifest says whose
    it is."""
    from safetensors.torch import save as st_save

    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    return st_save(state, metadata={"format": "pt"})


def model_from_bytes(data: bytes, spec: ModelSpec, *, where: str = "weights") -> Net | Ensemble:
    """The model of ``spec`` (eval mode, on CPU) with the safetensors ``data`` as its weights;
    ``where`` names them in the one-line error when they are not safetensors or do not fit.
    The bytes of an ``Ensemble`` (``weights_to_bytes`` of one: keys ``members.<k>.…``) give
    back an ensemble of as many networks of ``spec``."""
    from safetensors import SafetensorError
    from safetensors.torch import load as st_load

    try:
        state = st_load(data)
    except (SafetensorError, ValueError, RuntimeError) as err:
        raise InvalidInputError(f"{where} is not a safetensors file ({err}); {_ACCEPTED}") from None
    if state and all(k.startswith("members.") for k in state):
        count = 1 + max(int(k.split(".")[1]) for k in state)
        model: Net | Ensemble = Ensemble([build_model(spec) for _ in range(count)])
    else:
        model = build_model(spec)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        summary = " ".join(str(err).split())[:300]
        raise InvalidInputError(
            f"{where} does not fit the model in its manifest ({summary}); re-save the checkpoint"
        ) from None
    model.eval()
    return model


def save_checkpoint(directory: str | os.PathLike, model: nn.Module, manifest: Manifest) -> Manifest:
    """Write ``model``'s weights and ``manifest`` into ``directory`` (created if needed).

    ``model`` is one network or an ``Ensemble`` (each member its own hashed file; ``manifest``
    describes one member: its ``spec``). Returns the manifest as written (hashes, members,
    versions and time filled in). Crash-safe: see the module doc.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    stamped = manifest.model_copy(
        update={
            "versions": library_versions(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "metrics": {k: _jsonable(v) for k, v in manifest.metrics.items()},
            "normalization": _jsonable(manifest.normalization),
            "encoding": _jsonable(manifest.encoding),
        }
    )
    if isinstance(model, Ensemble):
        return _save_ensemble(folder, model, stamped)
    data = weights_to_bytes(model)
    written = stamped.model_copy(
        update={
            "schema_version": SINGLE_SCHEMA_VERSION,
            "weights_file": WEIGHTS_FILE,
            "weights_sha256": _sha256(data),
            "members": (),
        }
    )
    written = written.sealed()
    _keep_previous(folder)
    atomic_write_bytes(folder / WEIGHTS_FILE, data, fault="checkpoint_write")
    fault_point("checkpoint_commit")
    atomic_write_json(folder / MANIFEST_FILE, written, fault="manifest_write")
    with contextlib.suppress(FileNotFoundError):
        (folder / PREVIOUS_FILE).unlink()
    _remove_stale(folder, keep=())
    return written


def _save_ensemble(folder: Path, ensemble: Ensemble, manifest: Manifest) -> Manifest:
    """Each member to its own content-named file, then the manifest, then the stale files."""
    members = []
    for k, member in enumerate(ensemble.members):
        data = weights_to_bytes(member)
        digest = _sha256(data)
        entry = MemberFile(file=f"member-{k + 1}-{digest[:12]}.safetensors", sha256=digest)
        path = folder / entry.file
        if not (path.is_file() and _sha256(path.read_bytes()) == digest):
            atomic_write_bytes(path, data, fault="checkpoint_write")
        members.append(entry)
    written = manifest.model_copy(
        update={
            "schema_version": SCHEMA_VERSION,
            "weights_file": None,
            "weights_sha256": _members_sha256(tuple(members)),
            "members": tuple(members),
        }
    ).sealed()
    fault_point("checkpoint_commit")
    atomic_write_json(folder / MANIFEST_FILE, written, fault="manifest_write")
    _remove_stale(folder, keep={m.file for m in members})
    return written


def _remove_stale(folder: Path, *, keep: Collection[str]) -> None:
    """After a commit: remove weights files the new manifest does not name (an ensemble's
    earlier members; a one-model checkpoint's weights once the folder holds an ensemble)."""
    stale = [p for p in folder.glob("member-*.safetensors") if p.name not in keep]
    if keep:
        stale += [folder / WEIGHTS_FILE, folder / PREVIOUS_FILE]
    for path in stale:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _looks_pickled(head: bytes) -> str | None:
    if head[:1] == b"\x80":
        return "a pickle file"
    if head[:4] == b"PK\x03\x04":
        return "a zip archive (torch.save writes these; they hold pickles)"
    return None


def _refuse_file(path: Path) -> InvalidInputError:
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as err:
        return InvalidInputError(f"cannot read checkpoint {path}: {err.strerror}; {_ACCEPTED}")
    kind = _looks_pickled(head)
    what = f"{path} looks like {kind}" if kind else f"{path} is not an orthotune checkpoint"
    return InvalidInputError(f"{what}; {_ACCEPTED}")


def read_manifest(directory: str | os.PathLike) -> Manifest:
    """The validated manifest of a checkpoint folder (weights not read)."""
    folder = Path(directory)
    path = folder / MANIFEST_FILE
    if not path.is_file():
        if folder.is_file():
            raise _refuse_file(folder)
        if not folder.exists():
            raise InvalidInputError(f"checkpoint {folder} does not exist; {_ACCEPTED}")
        strays = sorted(
            p.name
            for p in folder.iterdir()
            if p.suffix in (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin")
        )
        hint = f" (found {', '.join(strays)}: pickle-based formats are refused)" if strays else ""
        raise InvalidInputError(f"{folder} has no {MANIFEST_FILE}{hint}; {_ACCEPTED}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        head = path.read_bytes()[:8]
        if head[:1] == b"{" and _looks_pickled(head) is None:
            # a manifest cut short or edited ("not an orthotune checkpoint" gave no fix)
            raise InvalidInputError(
                f"{path} is damaged ({type(err).__name__}: {err}); fix: restore it from a copy, "
                "or train the model again"
            ) from None
        raise _refuse_file(path) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise InvalidInputError(f"{path} is not an orthotune manifest; {_ACCEPTED}")
    if raw.get("schema_version", 0) > SCHEMA_VERSION:
        raise InvalidInputError(
            f"{path} has schema_version {raw['schema_version']}, newer than this orthotune "
            f"reads ({SCHEMA_VERSION}); upgrade orthotune"
        )
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInputError(
            f"{path}: field {where} is invalid ({first['msg']}); the manifest is damaged, "
            "re-save the checkpoint"
        ) from None
    if manifest.manifest_sha256 and manifest.content_sha256() != manifest.manifest_sha256:
        raise InvalidInputError(
            f"{path}: its content does not give its manifest_sha256 (the manifest was edited "
            "or damaged); restore the file, or train the model again"
        )
    return manifest


def load_checkpoint(directory: str | os.PathLike) -> tuple[Net | Ensemble, Manifest]:
    """The model (eval mode, on CPU) and manifest of a checkpoint folder, hashes verified: the
    ``Net``, or the ``Ensemble`` of a folder whose manifest lists members.

    ``directory`` may also be the folder's ``manifest.json``. Anything else is refused.
    """
    folder = Path(directory)
    if folder.is_file() and folder.name == MANIFEST_FILE:
        folder = folder.parent
    manifest = read_manifest(folder)
    if manifest.members:
        if _members_sha256(manifest.members) != manifest.weights_sha256:
            raise InvalidInputError(
                f"{folder / MANIFEST_FILE}: its members' hashes do not give its weights_sha256 "
                f"{manifest.weights_sha256} (the manifest was edited); {_REFIT}"
            )
        members = [
            model_from_bytes(
                _member_bytes(folder, manifest, k), manifest.spec, where=str(folder / m.file)
            )
            for k, m in enumerate(manifest.members)
        ]
        model: Net | Ensemble = Ensemble(members)
    else:
        model = model_from_bytes(
            _single_bytes(folder, manifest), manifest.spec, where=str(folder / WEIGHTS_FILE)
        )
    model.eval()
    return model, manifest


def _single_bytes(folder: Path, manifest: Manifest) -> bytes:
    """The committed weights of a one-model folder (weights.safetensors, or after a crash
    between its save's steps 2 and 3, weights.previous.safetensors)."""
    for name in (WEIGHTS_FILE, PREVIOUS_FILE):
        path = folder / name
        if path.is_file():
            candidate = path.read_bytes()
            if _sha256(candidate) == manifest.weights_sha256:
                return candidate
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise InvalidInputError(f"{weights} is missing; {_ACCEPTED}")
    kind = _looks_pickled(weights.read_bytes()[:8])
    detail = f" and looks like {kind}" if kind else ""
    raise InvalidInputError(
        f"{weights} does not match the sha256 in {folder / MANIFEST_FILE}{detail}; the "
        f"checkpoint is damaged or was edited — re-save it; {_ACCEPTED}"
    )


_REFIT = "restore the file, or re-save the ensemble (e.g. orthotune train --ensemble K again)"


def _member_bytes(folder: Path, manifest: Manifest, k: int) -> bytes:
    """Member ``k``'s weights, refused by name when missing or not matching their sha256."""
    entry = manifest.members[k]
    path = folder / entry.file
    where = f"member {k + 1} of {len(manifest.members)} in {folder / MANIFEST_FILE}"
    if not path.is_file():
        raise InvalidInputError(f"ensemble member {path} is missing ({where}); {_REFIT}")
    data = path.read_bytes()
    found = _sha256(data)
    if found != entry.sha256:
        kind = _looks_pickled(data[:8])
        detail = f", and it looks like {kind}" if kind else ""
        raise InvalidInputError(
            f"ensemble member {path} does not match its sha256 ({where}): expected "
            f"{entry.sha256}, found {found}{detail}; the member was edited or damaged — {_REFIT}"
        )
    return data
