"""One intra-op thread for these tests: the models are tiny, and on a shared 2-core machine a
second OpenMP thread only adds waiting (it does not change any result compared here)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
