import pytest
import torch

from orthotune import InvalidInputError
from orthotune.metrics import measure_latency


def test_latency_of_a_small_model_states_batch_and_restores_mode():
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    model.train()
    lat = measure_latency(model, torch.zeros(16), batch_size=8, warmup=2, repeats=5)
    assert lat.batch_size == 8 and lat.repeats == 5 and lat.device == "cpu"
    assert 0 < lat.fastest_batch_ms <= lat.per_batch_ms <= lat.slowest_batch_ms
    assert lat.per_example_ms == pytest.approx(lat.per_batch_ms / 8)
    assert model.training


def test_bad_batch_size_is_refused():
    with pytest.raises(InvalidInputError, match="batch_size 0"):
        measure_latency(torch.nn.Linear(2, 2), torch.zeros(2), batch_size=0)
