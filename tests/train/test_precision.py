"""``TrainConfig.precision``: bf16 trains under autocast, everything evaluated stays float32."""

import pytest
import torch

from orthotune import InvalidInputError
from orthotune.models import ConvBlock, ModelSpec, build_model
from orthotune.population import Population, fit_population
from orthotune.train import TrainConfig, Trainer
from orthotune.train._precision import check_precision, resolve_precision

CNN = ModelSpec(
    kind="cnn1d",
    input_shape=(1, 12),
    num_classes=3,
    conv=(ConvBlock(channels=8, kernel=3), ConvBlock(channels=8, kernel=3)),
    hidden=(),
    global_pool="avg",
)
MLP = ModelSpec(input_shape=(12,), num_classes=3, hidden=(16,))
CPU = torch.device("cpu")


def _signals(n: int = 96, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = torch.randn(n, 1, 12, generator=g) * 0.3
    x += 1.5 * (y - 1).float().view(-1, 1, 1)  # the class is the signal's level
    return x, y


def test_an_unknown_precision_is_one_line_naming_the_accepted():
    with pytest.raises(InvalidInputError, match=r"'fp16' is not a precision; accepted: auto, fp32"):
        check_precision("fp16")


def test_auto_keeps_float32_for_mlps_and_devices_without_native_bfloat16():
    assert resolve_precision("auto", MLP, CPU) == "fp32"
    assert resolve_precision("auto", CNN, torch.device("meta")) == "fp32"
    assert resolve_precision("bf16", MLP, CPU) == "bf16"  # asked for explicitly
    assert resolve_precision("fp32", CNN, CPU) == "fp32"


def test_bf16_trains_the_forward_in_bfloat16_and_evaluates_in_float32():
    x, y = _signals()
    seen: list[tuple[bool, torch.dtype]] = []
    torch.manual_seed(0)
    model = build_model(CNN)
    model.register_forward_hook(lambda m, i, out: seen.append((m.training, out.dtype)))
    cfg = TrainConfig(optimizer="adam", lr=1e-2, epochs=8, batch_size=32, precision="bf16")
    result = Trainer(cfg, seed=0).fit(model, (x, y), (x[:48], y[:48]))
    assert {d for training, d in seen if training} == {torch.bfloat16}
    assert {d for training, d in seen if not training} == {torch.float32}
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert result.history[-1].train_error < result.history[0].train_error
    assert result.history[-1].dev_error < 0.2


def test_a_bf16_population_member_trains_like_a_bf16_trainer():
    x, y = _signals()
    cfg = TrainConfig(optimizer="adam", lr=1e-2, epochs=3, batch_size=32, precision="bf16")
    losses = {}
    for precision in ("bf16", "fp32"):
        c = cfg.model_copy(update={"precision": precision})
        pop = Population(CNN, [c, c], num_examples=len(y), seeds=[5, 5])
        losses[precision] = [m.history[-1].train_loss for m in fit_population(pop, (x, y)).members]
    torch.manual_seed(5)
    model = build_model(CNN)
    alone = Trainer(cfg, seed=0).fit(model, (x, y)).history[-1].train_loss
    assert losses["bf16"][0] == pytest.approx(alone, rel=0.05)
    assert losses["bf16"][0] != pytest.approx(losses["fp32"][0], rel=1e-4)  # autocast is on


def test_a_bf16_mlp_population_uses_autograd_and_manual_backward_is_refused():
    cfg = TrainConfig(precision="bf16")
    assert Population(MLP, [cfg, cfg], num_examples=10)._dense_step is None
    with pytest.raises(InvalidInputError, match="backward='manual' is float32 only"):
        Population(MLP, [cfg, cfg], num_examples=10, backward="manual")


def test_precisions_never_share_a_population():
    from orthotune.population import group_trials

    a, b = TrainConfig(), TrainConfig(precision="bf16")
    groups = group_trials([(CNN, a), (CNN, b), (CNN, a)])
    assert sorted(g.indices for g in groups) == [[0, 2], [1]]
