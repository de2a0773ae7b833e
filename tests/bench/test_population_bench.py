import importlib
import re
import sys

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from orthotune.models import build_model
from orthotune.population import Population
from orthotune.train import TrainConfig
from tests.bench._run import ROOT, run_quick

sys.path.insert(0, str(ROOT / "bench"))
bench = importlib.import_module("population")


def test_the_listed_matmuls_of_an_mlp_step_are_the_ones_torch_counts():
    dims, batch = (7, 12, 5, 3), 9  # not the bench's shapes: the list is not tuned to them
    # by hand: forward 2·9·(7·12 + 12·5 + 5·3); weight gradients the same; input gradients of
    # layers 2 and 3 only: 2·9·(12·5 + 5·3)
    assert bench.executed_flops(dims, batch) == 2 * 9 * (159 + 159 + 75)
    spec = bench.MLP.model_copy(update={"input_shape": (7,), "hidden": (12, 5), "num_classes": 3})
    x, y = torch.randn(batch, 7), torch.randint(0, 3, (batch,))
    with FlopCounterMode(display=False) as one:
        F.cross_entropy(build_model(spec)(x), y).backward()
    assert one.get_total_flops() == bench.executed_flops(dims, batch)
    for backward in ("manual", "autograd"):
        population = Population(
            spec, [TrainConfig(batch_size=batch)] * 4, num_examples=90, backward=backward
        )
        with FlopCounterMode(display=False) as stacked:
            population.train_step(x, y)
        assert stacked.get_total_flops() == 4 * bench.executed_flops(dims, batch)


def test_the_bench_credits_what_the_issue_counted():
    assert bench.executed_flops(bench.MLP_DIMS, bench.BATCH) == 8_200_000  # not 6·params·batch
    assert (*bench.MLP.input_shape, *bench.MLP.hidden, bench.MLP.num_classes) == bench.MLP_DIMS


def test_the_speedup_a_given_mfu_allows():
    # a peer at 800 µs per member-step of 8.2 MFLOP, a 82 GFLOP/s peak: 100 µs at 100 % MFU
    assert bench.speedup_at(1.0, 800e-6, 8.2e6, 82e9) == pytest.approx(8.0)
    assert bench.speedup_at(0.5, 800e-6, 8.2e6, 82e9) == pytest.approx(4.0)
    assert bench.speedup_at(1.0, 400e-6, 8.2e6, 41e9) == pytest.approx(2.0)


@pytest.mark.slow
def test_quick_run_prints_the_figures_last():
    assert re.fullmatch(
        r"speedup_n8=[\d.]+ speedup_n32=[\d.]+ speedup_n128=[\d.]+ mfu_n32=[\d.]+ "
        r"speedup_cnn16=[\d.]+",
        run_quick("population.py"),
    )
