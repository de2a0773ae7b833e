"""Synthesis toward the dev distribution, built on the data layer's augmentation."""

from __future__ import annotations

import torch

from orthotune.analysis import candidate_policies, synthesize_toward


def test_synthesis_picks_the_noise_that_dev_carries():
    g = torch.Generator().manual_seed(0)
    t = torch.linspace(0, 6.28, 40)
    train = torch.sin(t + torch.rand(300, 1, 1, generator=g) * 6.28)  # clean signals
    dev = torch.sin(t + torch.rand(300, 1, 1, generator=g) * 6.28)
    dev = dev + 0.2 * torch.randn(300, 1, 40, generator=g)  # planted: dev is noisier
    choice = synthesize_toward(
        train, dev, candidates=["noise=0.05", "noise=0.2", "blur=1.0"], max_examples=300
    )
    assert choice.baseline_auc > 0.9
    assert choice.best_policy == "noise=0.2"
    assert abs(choice.best_auc - 0.5) < 0.15
    assert [c.policy for c in choice.candidates] == ["noise=0.05", "noise=0.2", "blur=1.0"]


def test_candidates_per_input_kind():
    assert all(p.startswith("noise") for p in candidate_policies(1))
    assert any(p.startswith("blur") for p in candidate_policies(2))
    assert any("rotate" in p for p in candidate_policies(3))
