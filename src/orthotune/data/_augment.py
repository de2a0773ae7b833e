"""Data augmentation on batch tensors, driven by a ``torch.Generator`` (reproducible).

The lecture's variations of the training patterns — rotate, scale, cut, move — plus noise and
blur, applied on the fly to training batches only (never to dev/test data):

- tabular vectors ``[B, D]``: Gaussian noise;
- 1-D signals ``[B, C, L]`` (or ``[B, L]`` with ``kind=signal``): noise, shift (move along the
  axis, edges repeated), scale (stretch/squeeze about the centre) and Gaussian blur;
- images ``[B, C, H, W]``: rotate, scale and shift as one affine warp, cutout (an erased
  square), Gaussian blur — warps and blur with kornia — and noise.

A policy is plain data (``AugmentPolicy``); ``parse_policy`` reads the text form used by
``TrainConfig.augment`` and ``--augment``: a preset name (``light``, ``standard``, ``strong``)
optionally followed by overrides, ``standard:noise=0.1,rotate=0``, or only overrides,
``noise=0.05,shift=0.1``. Magnitudes: ``noise`` is the standard deviation in the units of the
(normalized) features; ``shift`` the largest move as a fraction of the length/side; ``scale``
the largest relative size change (factor in [1−scale, 1+scale]); ``blur`` the largest Gaussian
σ in samples/pixels; ``rotate`` the largest angle in degrees; ``cutout`` the erased square's
side as a fraction of the image side; ``roll`` the largest circular shift (wrapping around
the ends, for signals and images) as a fraction of the length/side — 1 allows any offset, for
data whose pattern may sit anywhere; ``p`` the probability that an example is augmented.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orthotune._errors import InvalidInputError

__all__ = ["AUGMENT_PRESETS", "AugmentPolicy", "Augmenter", "parse_policy"]

Kind = Literal["auto", "tabular", "signal", "image"]


class AugmentPolicy(BaseModel):
    """How strongly to vary training examples (see the module doc for each magnitude)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "custom"
    kind: Kind = "auto"  # auto: [B, D] tabular, [B, C, L] signal, [B, C, H, W] image
    p: float = Field(default=1.0, ge=0, le=1)
    noise: float = Field(default=0.0, ge=0)
    shift: float = Field(default=0.0, ge=0, le=0.5)
    scale: float = Field(default=0.0, ge=0, lt=1)
    blur: float = Field(default=0.0, ge=0, le=10)
    rotate: float = Field(default=0.0, ge=0, le=180)
    cutout: float = Field(default=0.0, ge=0, lt=1)
    roll: float = Field(default=0.0, ge=0, le=1)


AUGMENT_PRESETS: dict[str, AugmentPolicy] = {
    "none": AugmentPolicy(name="none", p=0.0),
    "light": AugmentPolicy(
        name="light", noise=0.02, shift=0.05, scale=0.05, blur=0.5, rotate=5.0, p=0.5
    ),
    "standard": AugmentPolicy(
        name="standard", noise=0.05, shift=0.1, scale=0.1, blur=1.0, rotate=10.0, cutout=0.25
    ),
    "strong": AugmentPolicy(
        name="strong", noise=0.1, shift=0.2, scale=0.2, blur=1.5, rotate=20.0, cutout=0.4
    ),
}
_KEYS = tuple(k for k in AugmentPolicy.model_fields if k != "name")


def _one_line(err: ValidationError, text: str) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"augment {text!r}: {where} = {first.get('input')!r}: {first['msg']}"


def parse_policy(text: str | AugmentPolicy) -> AugmentPolicy:
    """``PRESET``, ``PRESET:key=value,…`` or ``key=value,…`` → ``AugmentPolicy``."""
    if isinstance(text, AugmentPolicy):
        return text
    raw = str(text).strip()
    preset_name, _, rest = raw.partition(":")
    if "=" in preset_name:  # overrides only
        preset_name, rest = "", raw
    base = AugmentPolicy()
    if preset_name:
        if preset_name not in AUGMENT_PRESETS:
            raise InvalidInputError(
                f"augment policy {preset_name!r} is unknown; accepted presets: "
                f"{', '.join(AUGMENT_PRESETS)} (optionally with overrides such as "
                "standard:noise=0.1), or key=value pairs of " + ", ".join(_KEYS)
            )
        base = AUGMENT_PRESETS[preset_name]
    updates: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in _KEYS:
            raise InvalidInputError(
                f"augment {raw!r}: {item!r} is not key=value with a key among "
                f"{', '.join(_KEYS)}; e.g. standard:noise=0.1,shift=0.05"
            )
        updates[key] = value.strip()
    try:
        merged = base.model_dump()
        merged.update(updates)
        if updates and not preset_name:
            merged["name"] = "custom"
        return AugmentPolicy.model_validate(merged)
    except ValidationError as err:
        raise InvalidInputError(_one_line(err, raw)) from None


def _uniform(n: int, low: float, high: float, gen: torch.Generator, device) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=gen, device=device)


def _gaussian_kernels(sigma: torch.Tensor, radius: int) -> torch.Tensor:
    """One normalized 1-D Gaussian per σ: [B] → [B, 2·radius+1]."""
    offsets = torch.arange(-radius, radius + 1, device=sigma.device, dtype=torch.float32)
    k = torch.exp(-(offsets[None] ** 2) / (2 * sigma.clamp_min(1e-3)[:, None] ** 2))
    return k / k.sum(1, keepdim=True)


def _roll(x: torch.Tensor, roll: float, gen: torch.Generator) -> torch.Tensor:
    """Each example rolled (circularly) by its own offset in [−roll·n, roll·n] along every
    spatial axis (axes 2…; a ``[B, L]`` signal along axis 1)."""
    out = x
    for axis in range(1 if x.dim() == 2 else 2, x.dim()):
        n = x.shape[axis]
        k = round(roll * n)
        offsets = torch.randint(-k, k + 1, (x.shape[0],), generator=gen, device=x.device)  # [B]
        pos = (torch.arange(n, device=x.device)[None, :] - offsets[:, None]) % n  # [B, n]
        shape = [x.shape[0]] + [1] * (x.dim() - 1)
        shape[axis] = n
        out = torch.gather(out, axis, pos.reshape(shape).expand_as(out))
    return out


class Augmenter:
    """Applies an ``AugmentPolicy`` to batches: ``augmenter(x, generator=g)`` → new tensor."""

    def __init__(self, policy: AugmentPolicy) -> None:
        self.policy = policy

    @classmethod
    def from_policy(cls, policy: str | AugmentPolicy) -> Augmenter:
        """Build from a policy or its text form (see ``parse_policy``)."""
        return cls(parse_policy(policy))

    def kind_of(self, x: torch.Tensor) -> str:
        if self.policy.kind != "auto":
            return self.policy.kind
        return {2: "tabular", 3: "signal", 4: "image"}.get(x.dim(), "tabular")

    def __call__(self, x: torch.Tensor, *, generator: torch.Generator) -> torch.Tensor:
        pol = self.policy
        if pol.p == 0.0 or x.shape[0] == 0:
            return x
        kind = self.kind_of(x)
        original = x
        if pol.roll > 0 and kind in ("signal", "image"):
            x = _roll(x, pol.roll, generator)
        if kind == "image":
            if x.dim() != 4:
                raise InvalidInputError(
                    f"augment kind image needs batches [B, C, H, W], got {tuple(x.shape)}; "
                    "use kind=signal or kind=tabular"
                )
            out = self._image(x, generator)
        elif kind == "signal":
            flat = x.dim() == 2
            out = self._signal(x[:, None] if flat else x, generator)
            out = out[:, 0] if flat else out
        else:
            out = x
        if pol.noise > 0:
            noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            out = out + pol.noise * noise
        if pol.p < 1.0:
            keep = torch.rand(x.shape[0], generator=generator, device=x.device) >= pol.p
            out = torch.where(keep.view(-1, *([1] * (x.dim() - 1))), original, out)
        return out

    # ------------------------------------------------------------------ 1-D signals
    def _signal(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        pol = self.policy
        B, C, L = x.shape  # x: [B, C, L]
        dev = x.device
        out = x
        if pol.shift > 0 or pol.scale > 0:
            # sample position of output t: centre + (t − centre)/factor − shift, edges clamped
            factor = _uniform(B, 1 - pol.scale, 1 + pol.scale, gen, dev)  # [B]
            move = _uniform(B, -pol.shift * L, pol.shift * L, gen, dev)  # [B]
            t = torch.arange(L, device=dev, dtype=torch.float32)
            centre = (L - 1) / 2
            pos = centre + (t[None] - centre) / factor[:, None] - move[:, None]  # [B, L]
            pos = pos.clamp(0, L - 1)
            lo = pos.floor()
            frac = (pos - lo)[:, None]  # [B, 1, L]
            i0 = lo.long()[:, None].expand(B, C, L)
            i1 = (lo.long() + 1).clamp(max=L - 1)[:, None].expand(B, C, L)
            out = out.gather(2, i0) * (1 - frac) + out.gather(2, i1) * frac
        if pol.blur > 0:
            radius = max(1, math.ceil(3 * pol.blur))
            sigma = _uniform(B, 0.0, pol.blur, gen, dev)
            kernels = _gaussian_kernels(sigma, radius).to(x.dtype)  # [B, K]
            weight = kernels.repeat_interleave(C, dim=0)[:, None]  # [B·C, 1, K]
            padded = F.pad(out.reshape(1, B * C, L), (radius, radius), mode="replicate")
            out = F.conv1d(padded, weight, groups=B * C).reshape(B, C, L)
        return out

    # ------------------------------------------------------------------ images
    def _image(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        pol = self.policy
        B, _, H, W = x.shape  # x: [B, C, H, W]
        dev = x.device
        out = x
        if pol.rotate > 0 or pol.scale > 0 or pol.shift > 0:
            from kornia.geometry.transform import get_affine_matrix2d, warp_affine

            angle = _uniform(B, -pol.rotate, pol.rotate, gen, dev)
            factor = _uniform(B, 1 - pol.scale, 1 + pol.scale, gen, dev)
            move = torch.stack(
                [
                    _uniform(B, -pol.shift * W, pol.shift * W, gen, dev),
                    _uniform(B, -pol.shift * H, pol.shift * H, gen, dev),
                ],
                dim=1,
            )  # [B, 2] pixels (x, y)
            centre = torch.tensor([(W - 1) / 2, (H - 1) / 2], device=dev).expand(B, 2)
            matrix = get_affine_matrix2d(move, centre, factor[:, None].expand(B, 2), angle)
            out = warp_affine(out, matrix[:, :2].to(x.dtype), (H, W), padding_mode="zeros")
        if pol.cutout > 0:
            side_h, side_w = pol.cutout * H, pol.cutout * W
            cy = _uniform(B, 0, H, gen, dev)[:, None, None]
            cx = _uniform(B, 0, W, gen, dev)[:, None, None]
            rows = torch.arange(H, device=dev, dtype=torch.float32)[None, :, None]
            cols = torch.arange(W, device=dev, dtype=torch.float32)[None, None, :]
            hole = ((rows - cy).abs() < side_h / 2) & ((cols - cx).abs() < side_w / 2)
            out = out * (~hole)[:, None].to(x.dtype)  # [B, 1, H, W] broadcast over C
        if pol.blur > 0:
            from kornia.filters import gaussian_blur2d

            radius = max(1, math.ceil(3 * pol.blur))
            sigma = _uniform(B, 0.0, pol.blur, gen, dev).clamp_min(1e-3)
            out = gaussian_blur2d(
                out,
                (2 * radius + 1, 2 * radius + 1),
                torch.stack([sigma, sigma], dim=1),
                border_type="replicate",
            )
        return out
