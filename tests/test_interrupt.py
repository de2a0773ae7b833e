"""A Ctrl-C that Python drops (raised inside a garbage-collection callback) still stops the
training: the CLI's handler leaves a flag that the Trainer and fit_population check each step."""

import signal

import pytest
import torch

from orthotune import _interrupt
from orthotune.models import ModelSpec
from orthotune.train import Callback, StopReason, TrainConfig, Trainer

# the KeyboardInterrupt each test makes Python drop is reported by pytest as unraisable
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

SPEC = ModelSpec(input_shape=(4,), num_classes=2, hidden=(8,))
CONFIG = TrainConfig(optimizer="adam", lr=0.01, epochs=5, batch_size=16)


def _data(n: int = 64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    return x, (x[:, 0] > 0).long()


class _Dropped:
    """Ctrl-C arrives while this object is collected: Python prints the KeyboardInterrupt
    ("Exception ignored in …") and goes on."""

    def __del__(self):
        signal.raise_signal(signal.SIGINT)


def test_a_ctrl_c_python_drops_is_raised_again_by_the_next_check(sigint_handler):
    obj = _Dropped()
    del obj  # the KeyboardInterrupt raised in __del__ is dropped: nothing propagates here
    with pytest.raises(KeyboardInterrupt):
        _interrupt.check()
    _interrupt.check()  # raised once: the flag is cleared


def test_an_ignored_sigint_stays_ignored():
    before = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _interrupt.install()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


class _DropAfterFirstEpoch(Callback):
    def on_epoch_end(self, state, record):
        if record.epoch == 0:
            _Dropped()  # collected at once: the Ctrl-C is dropped


def test_the_trainer_stops_one_step_after_a_dropped_ctrl_c(sigint_handler):
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    res = Trainer(CONFIG, device="cpu", callbacks=[_DropAfterFirstEpoch()]).fit(model, _data())
    assert res.stop_reason == StopReason.INTERRUPTED
    assert res.epochs_run == 1
    _interrupt.check()  # the Trainer acted on it: nothing pending


def test_a_population_stops_one_step_after_a_dropped_ctrl_c(sigint_handler):
    from orthotune.population import Population, PopulationCallback, fit_population

    epochs = []

    class Drop(PopulationCallback):
        def on_epoch_end(self, population, epoch, metrics):
            epochs.append(epoch)
            _Dropped()

    pop = Population(SPEC, [CONFIG] * 3, num_examples=64, seeds=[0, 1, 2], device="cpu")
    with pytest.raises(KeyboardInterrupt):
        fit_population(pop, _data(), callbacks=[Drop()])
    assert epochs == [0]
