import pytest
import torch
from pydantic import ValidationError

from orthotune.models import (
    ConvBlock,
    ModelSpec,
    build_model,
    count_parameters,
    flops_per_example,
)


def test_mlp_parameters_and_flops_match_hand_count():
    spec = ModelSpec(input_shape=(40,), num_classes=10, hidden=(100, 100))
    model = build_model(spec)
    # 40·100+100 + 100·100+100 + 100·10+10
    assert count_parameters(model) == 4100 + 10100 + 1010
    for p in list(model.parameters())[:-2]:  # frozen features: still the model's weights
        p.requires_grad_(False)
    assert count_parameters(model) == 4100 + 10100 + 1010
    assert flops_per_example(model, (40,)) == 2 * (40 * 100 + 100 * 100 + 100 * 10)


@pytest.mark.parametrize(
    ("kind", "shape", "block"),
    [
        ("cnn1d", (1, 40), ConvBlock(channels=8, kernel=5, stride=2)),
        ("cnn1d", (2, 40), ConvBlock(channels=8, residual=True, pool="max")),
        ("cnn2d", (1, 8, 8), ConvBlock(channels=4, residual=True, pool="avg")),
    ],
)
def test_cnn_outputs_logits_for_each_example(kind, shape, block):
    spec = ModelSpec(kind=kind, input_shape=shape, num_classes=3, conv=(block,), hidden=(16,))
    logits = build_model(spec)(torch.randn(5, *shape))
    assert logits.shape == (5, 3)


@pytest.mark.parametrize(
    ("init", "variance"),
    [("he_normal", 2 / 400), ("xavier_normal", 2 / (400 + 300)), ("lecun_normal", 1 / 400)],
)
def test_initialization_follows_the_variance_rules(init, variance):
    torch.manual_seed(0)
    spec = ModelSpec(input_shape=(400,), num_classes=2, hidden=(300,), init=init)
    w = build_model(spec).head[0].linear.weight
    assert w.var().item() == pytest.approx(variance, rel=0.05)


def test_batch_norm_layers_have_no_bias_and_shape_key_ignores_dropout_rate():
    a = ModelSpec(input_shape=(4,), num_classes=2, hidden=(8,), batch_norm=True, dropout=0.1)
    b = a.model_copy(update={"dropout": 0.3})
    assert build_model(a).head[0].linear.bias is None
    assert a.shape_key() == b.shape_key()


def test_spec_rejects_inconsistent_layers():
    with pytest.raises(ValidationError, match="activation has 1 entries"):
        ModelSpec(input_shape=(4,), num_classes=2, hidden=(8, 8), activation=("relu",))
    with pytest.raises(ValidationError, match="dropout rate must be in"):
        ModelSpec(input_shape=(4,), num_classes=2, dropout=1.0)


def test_too_many_pools_for_the_input_are_refused_and_the_last_that_fits_builds():
    pool = ConvBlock(channels=8, kernel=3, pool="max")
    fits = ModelSpec(kind="cnn2d", input_shape=(3, 12, 12), num_classes=2, conv=(pool,) * 3)
    assert build_model(fits)(torch.zeros(2, 3, 12, 12)).shape == (2, 2)  # 12 → 6 → 3 → 1
    # was "internal error: RuntimeError: … Output size is too small" at training
    with pytest.raises(ValidationError, match=r"conv block 4 of 4 gets 1×1 positions, too few"):
        ModelSpec(kind="cnn2d", input_shape=(3, 12, 12), num_classes=2, conv=(pool,) * 4)
    wide = ConvBlock(channels=8, kernel=9, padding=0)
    with pytest.raises(ValidationError, match=r"conv block 1 of 1 gets 5 positions"):
        ModelSpec(kind="cnn1d", input_shape=(1, 5), num_classes=2, conv=(wide,))


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec(input_shape=(40,), num_classes=10, hidden=(100, 100)),
        ModelSpec(
            kind="cnn2d",
            input_shape=(3, 12, 12),
            num_classes=4,
            conv=(ConvBlock(channels=8, kernel=3, pool="max", residual=True),) * 2,
            hidden=(16,),
        ),
        ModelSpec(
            kind="cnn1d",
            input_shape=(2, 40),
            num_classes=3,
            conv=(ConvBlock(channels=6, kernel=5),),
            global_pool="none",
        ),
    ],
)
def test_the_weight_count_is_the_built_networks_weights_without_biases(spec):
    model = build_model(spec)
    weights = sum(p.numel() for n, p in model.named_parameters() if n.endswith("weight"))
    norms = sum(
        m.weight.numel()
        for m in model.modules()
        if isinstance(m, torch.nn.modules.batchnorm._NormBase)
    )
    assert spec.weight_count() == weights - norms


def test_batch_norm_on_one_by_one_images_builds_and_keeps_no_statistics_of_its_probe():
    block = ConvBlock(channels=4, kernel=3, pool="none")
    spec = ModelSpec(
        kind="cnn2d", input_shape=(1, 1, 1), num_classes=2, conv=(block,), batch_norm=True
    )
    model = build_model(spec)  # was PyTorch's "Expected more than 1 value per channel"
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(int(m.num_batches_tracked) == 0 for m in norms)
    assert model.training and model(torch.zeros(3, 1, 1, 1)).shape == (3, 2)


def test_a_spec_of_more_weights_than_a_machine_trains_is_refused_before_any_allocation():
    ok = ModelSpec(input_shape=(100,), num_classes=3, hidden=(4096, 4096))
    assert count_parameters(build_model(ok)) < 5e8
    # `--hidden 1000000000` was OOM-killed after 24 GB, leaving a half-made run folder
    with pytest.raises(ValidationError, match=r"about 103,000,000,000 weights .*at most 500,00"):
        ModelSpec(input_shape=(100,), num_classes=3, hidden=(1_000_000_000,))
    wide = ConvBlock(channels=100_000, kernel=3)  # 3·1e5·9 + 1e5·1e5·9 + the head 1e5·2
    with pytest.raises(ValidationError, match=r"about 90,002,900,000 weights"):
        ModelSpec(kind="cnn2d", input_shape=(3, 8, 8), num_classes=2, conv=(wide, wide), hidden=())
