"""A folder of images as DATA: one folder per class, as torchvision's ``ImageFolder`` lays them
out (``FOLDER/CLASS/…/IMAGE.png``), or one folder per part holding those (``FOLDER/train/CLASS``,
``FOLDER/val/CLASS``, ``FOLDER/test/CLASS``: the preset split, ``val`` and ``valid`` read as dev;
without one, the split policy takes dev from train's images).
A folder of images without class folders is examples to predict.

``image_folder_arrays`` turns one into NPZ-style arrays (``x`` [n, channels, height, width] as
uint8, ``y`` the class folder's name, ``ids`` each file's path in the folder, ``split``), which
the loader then checks and encodes as it does an NPZ file's. Every image is read in one mode —
grayscale when all of them are, else RGB (an alpha channel is dropped) — and at one size: the
most common one, or the trained model's when ``predict`` reads new images; images of another
size are resized to it, with a warning (sizes as shown: after a photo's EXIF rotation). Beside
part folders, another folder (``unlabeled/``) is left out with a warning, and a Mac zip's
``__MACOSX`` quietly. Grayscale beyond 8 bits (16-bit PNG or TIFF) is read on the 8-bit scale —
as float32 in a grayscale folder, not clipped at 255 as mode "L" would; as 8 bits per channel
in a folder read as RGB, not clipped by ``convert("RGB")``. Hidden files are skipped
quietly, other files that are not images with a warning; an image that cannot be read (or a
link to one that does not exist) is one line naming it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from orthotune._errors import InvalidInputError
from orthotune._splits import ALIASES, SPLITS

__all__ = ["IMAGE_SUFFIXES", "has_class_folders", "image_folder_arrays"]

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
# a part's folder name → the part (``FOLDER/train/CLASS/…``, ``FOLDER/validation/CLASS/…``)
PART_FOLDERS = {
    name: part
    for name, part in (*zip(SPLITS, SPLITS, strict=True), *ALIASES.items())
    if part != "train-dev"
}
# the decoded images at most (bytes: one per value, four for grayscale beyond 8 bits), so that
# a folder of photos is one line, not an exhausted memory: resize them first
MAX_BYTES = 4 << 30
_DEEP = {"I", "I;16", "I;16B", "I;16L", "F"}  # grayscale beyond 8 bits
_ORIENTATION = 0x0112  # the EXIF tag a camera turns a photo by (5 … 8: a quarter turn)
_GRAY = {"1", "L", "LA"} | _DEEP
LAYOUT = "lay it out as FOLDER/CLASS/IMAGE.png (one folder per class)"


_MAC = "__MACOSX"  # what a zip made on a Mac holds beside the tree: resource forks, no images


def _visible(path: Path) -> list[Path]:
    """The entries a person sees: not hidden, not a Mac zip's ``__MACOSX`` copy of the tree."""
    return sorted(p for p in path.iterdir() if not p.name.startswith(".") and p.name != _MAC)


def has_class_folders(path: Path) -> bool:
    """Whether the folder ``path`` holds folders (of classes, or of parts holding them)."""
    return any(p.is_dir() for p in _visible(path))


def _files(folder: Path, root: Path) -> tuple[list[Path], list[Path]]:
    """The images under ``folder`` (any depth) and the other visible files."""
    images, others = [], []
    for p in sorted(folder.rglob("*")):
        if any(part.startswith(".") or part == _MAC for part in p.relative_to(root).parts):
            continue
        image = p.suffix.lower() in IMAGE_SUFFIXES
        if image and p.is_symlink() and not p.exists():  # an example lost, not skipped unsaid
            raise InvalidInputError(
                f"{p}: a link to {p.readlink()}, which does not exist: restore the image "
                "or remove the link"
            )
        if p.is_file():
            (images if image else others).append(p)
    return images, others


def _labelled(folder: Path, root: Path, part: str | None) -> tuple[list, list[Path]]:
    """(file, class, part) of every image in ``folder``'s class folders, and the files left out
    (not images, or not in a class folder)."""
    rows, left = [], []
    for entry in _visible(folder):
        if entry.is_dir():
            images, others = _files(entry, root)
            rows += [(p, entry.name, part) for p in images]
            left += others
            if not images:  # a class with no example cannot be learned: said, not hidden
                log.warning(
                    "%s: class folder %r holds no image: that class is left out",
                    root,
                    entry.relative_to(root).as_posix(),
                )
        else:
            left.append(entry)
    return rows, left


def _gray(img) -> np.ndarray:
    """A grayscale image as float32 on the 8-bit scale, so that 8- and 16-bit images of one
    folder (and a model's training and new images) compare: 16-bit values × 255 / 65535; 32-bit
    integers and floats as stored."""
    if img.mode.startswith("I;16"):
        return np.asarray(img, dtype=np.float32) * np.float32(255 / 65535)
    if img.mode in ("I", "F"):
        return np.asarray(img, dtype=np.float32)
    return np.asarray(img.convert("L"), dtype=np.float32)


@contextmanager
def _opened(file: Path) -> Iterator[Any]:
    """The image ``file``, open; one line naming it when it cannot be read as one."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as img:
            yield img
    except Image.DecompressionBombError as err:  # PIL's guard against 178M+ pixel images
        raise InvalidInputError(
            f"{file}: too large to read as an image ({err}): resize it (e.g. to 128×128) or "
            "remove it"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise InvalidInputError(
            f"{file}: cannot be read as an image ({type(err).__name__}): remove or replace it"
        ) from None


def image_folder_arrays(
    path: Path, *, shape: tuple[int, ...] | None = None, channels_last: bool = False
) -> dict[str, np.ndarray]:
    """The arrays of the image folder ``path`` (module docstring): ``y`` (and ``split``) only
    when it has class folders. ``shape``: a trained model's input, [channels, height, width]
    (or [height, width, channels] with ``channels_last``), which every image is read at."""
    from PIL import Image, ImageOps

    root = Path(path)
    subfolders = [p for p in _visible(root) if p.is_dir()]
    parts = [p for p in subfolders if p.name.lower() in PART_FOLDERS]
    if parts:  # FOLDER/train/CLASS/…: a folder beside the parts is none of their classes
        others = [p for p in subfolders if p not in parts]
        if others:  # (read as classes, the parts became the classes: train, val, unlabeled)
            log.warning(
                "%s: holds part folders (%s) and %d other folder(s) (first: %s): those are "
                "left out; move them away, or into a part as a class folder",
                root,
                ", ".join(p.name for p in parts),
                len(others),
                others[0].name,
            )
        rows, left = [], [p for p in _visible(root) if not p.is_dir()]
        for sub in parts:
            more, other = _labelled(sub, root, PART_FOLDERS[sub.name.lower()])
            rows += more
            left += other
    elif subfolders:
        rows, left = _labelled(root, root, None)
    else:
        images, left = _files(root, root)
        rows = [(p, None, None) for p in images]
    if not rows:
        raise InvalidInputError(
            f"{root}: a folder with no images ({', '.join(IMAGE_SUFFIXES)}) in it: {LAYOUT}, "
            "or give the path of a data file"
        )
    loose = [p for p in left if p.suffix.lower() in IMAGE_SUFFIXES]  # beside the class folders
    others = [p for p in left if p not in loose]
    if loose:  # valid images were called "not images"
        log.warning(
            "%s: %d image(s) lie outside the class folders and were left out (first: %s): move "
            "each into its class folder — or, to predict them, into a folder of their own",
            root, len(loose), loose[0].relative_to(root).as_posix(),
        )  # fmt: skip
    if others:
        log.warning(
            "%s: %d file(s) that are not images were left out (first: %s)",
            root, len(others), others[0].relative_to(root).as_posix(),
        )  # fmt: skip
    headers = []
    for file, _, _ in rows:
        with _opened(file) as img:
            turned = img.getexif().get(_ORIENTATION) in (5, 6, 7, 8)  # a portrait photo
            headers.append((img.mode, img.size[::-1] if turned else img.size))
    mode = "L" if all(m in _GRAY for m, _ in headers) else "RGB"
    if shape is not None:  # a trained model's: [c, h, w] or [h, w, c]
        c, h, w = (shape[2], shape[0], shape[1]) if channels_last else tuple(shape)
        mode = "L" if c == 1 else "RGB"
        size = (int(w), int(h))
    else:
        size = Counter(s for _, s in headers).most_common(1)[0][0]
    channels = 1 if mode == "L" else 3
    # 16- and 32-bit grayscale (scientific, medical images): mode "L" would clip them at 255
    deep = mode == "L" and any(m in _DEEP for m, _ in headers)
    need = len(rows) * channels * size[0] * size[1] * (4 if deep else 1)
    if need > MAX_BYTES:
        raise InvalidInputError(
            f"{root}: {len(rows):,} images of {size[0]}×{size[1]} take {need / 2**30:.1f} GiB "
            f"decoded, more than the {MAX_BYTES / 2**30:.0f} GiB accepted: resize them first "
            "(e.g. to 128×128)"
        )
    resized = sum(1 for _, s in headers if s != size)
    if resized:
        log.warning(
            "%s: %d of %d images are not %d×%d (%s): resized to it",
            root, resized, len(rows), size[0], size[1],
            "the model's input" if shape is not None else "their most common size",
        )  # fmt: skip
    x = np.empty((len(rows), channels, size[1], size[0]), dtype=np.float32 if deep else np.uint8)
    for i, (file, _, _) in enumerate(rows):
        with _opened(file) as img:
            img = ImageOps.exif_transpose(img)
            if deep:
                img = Image.fromarray(_gray(img))
            elif img.mode in _DEEP:  # 16-bit grayscale among RGB images: to 8 bits, then RGB
                img = Image.fromarray(np.clip(_gray(img), 0, 255).astype(np.uint8)).convert(mode)
            else:
                img = img.convert(mode)
            if img.size != size:
                img = img.resize(size, Image.Resampling.BILINEAR)
            pixels = np.asarray(img, dtype=x.dtype)
        x[i] = pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)
    if channels_last:
        x = x.transpose(0, 2, 3, 1)
    arrays = {
        "x": x,
        "ids": np.array([f.relative_to(root).as_posix() for f, _, _ in rows]),
    }
    if rows[0][1] is not None:
        arrays["y"] = np.array([label for _, label, _ in rows])
    if rows[0][2] is not None:
        split = np.array([part for _, _, part in rows], dtype=object)
        if "dev" not in set(split):  # train/ and test/ alone: dev comes from train's images
            split[split == "train"] = ""
        arrays["split"] = split.astype(str)
    return arrays
