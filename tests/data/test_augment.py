import pytest
import torch

from orthotune._errors import InvalidInputError
from orthotune.data import AUGMENT_PRESETS, Augmenter, AugmentPolicy, parse_policy


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _aug(**kw):
    return Augmenter(AugmentPolicy(**kw))


def test_parse_presets_overrides_and_plain_pairs():
    assert parse_policy("standard") == AUGMENT_PRESETS["standard"]
    pol = parse_policy("standard:noise=0.3,rotate=0")
    assert pol.noise == 0.3 and pol.rotate == 0 and pol.shift == AUGMENT_PRESETS["standard"].shift
    custom = parse_policy("noise=0.05, shift=0.1")
    assert (custom.name, custom.noise, custom.shift, custom.scale) == ("custom", 0.05, 0.1, 0.0)
    assert parse_policy("light:kind=signal").kind == "signal"


def test_parse_refuses_unknown_names_and_out_of_range_values():
    with pytest.raises(InvalidInputError, match="'wild' is unknown; accepted presets: none, light"):
        parse_policy("wild")
    with pytest.raises(InvalidInputError, match="'spin=3' is not key=value with a key among"):
        parse_policy("standard:spin=3")
    with pytest.raises(InvalidInputError, match=r"cutout = '1.5'.*less than 1"):
        parse_policy("cutout=1.5")


def test_same_generator_seed_same_augmentation():
    x = torch.randn(8, 2, 30)
    aug = Augmenter.from_policy("strong")
    a, b = aug(x, generator=_gen(1)), aug(x, generator=_gen(1))
    assert torch.equal(a, b)
    assert not torch.equal(a, aug(x, generator=_gen(2)))
    assert a.shape == x.shape


def test_tabular_vectors_get_gaussian_noise_of_the_given_std():
    x = torch.zeros(4000, 5)
    out = _aug(noise=0.3, shift=0.4, scale=0.5)(x, generator=_gen())
    assert out.std().item() == pytest.approx(0.3, rel=0.03)
    assert out.mean().abs().item() < 0.01


def test_signal_shift_moves_a_spike_by_at_most_the_fraction():
    L = 40
    x = torch.zeros(500, 1, L)
    x[:, 0, 20] = 1.0
    out = _aug(shift=0.1)(x, generator=_gen())
    peaks = out[:, 0].argmax(1).float()
    moves = (peaks - 20).abs()
    assert moves.max().item() <= 0.1 * L + 1
    assert moves.gt(1).float().mean().item() > 0.5  # most examples moved
    # a flat signal stays flat (edges are repeated, not zero-filled)
    flat = torch.ones(10, 1, L)
    assert torch.allclose(_aug(shift=0.2, scale=0.2)(flat, generator=_gen()), flat)


def test_signal_scale_stretches_about_the_centre():
    L = 41
    t = torch.arange(L, dtype=torch.float32)
    x = (t - 20).abs()[None, None].repeat(300, 1, 1)  # a V with its tip at the centre
    out = _aug(scale=0.3)(x, generator=_gen())
    assert torch.allclose(out[:, 0, 20], torch.zeros(300), atol=1e-5)  # centre fixed
    # the slope changes by the factor: 1/factor ∈ [1/1.3, 1/0.7]
    slopes = out[:, 0, 30] / 10
    assert slopes.min().item() >= 1 / 1.3 - 1e-4 and slopes.max().item() <= 1 / 0.7 + 1e-4
    assert slopes.std().item() > 0.05


def test_signal_blur_keeps_the_mass_and_spreads_a_spike():
    x = torch.zeros(50, 2, 40)
    x[:, :, 20] = 1.0
    out = _aug(blur=2.0)(x, generator=_gen())
    torch.testing.assert_close(out.sum(2), torch.ones(50, 2))
    assert (out[:, :, 20] < 1.0).float().mean().item() > 0.8


def test_flat_signals_need_kind_signal():
    x = torch.zeros(100, 40)
    x[:, 20] = 1.0
    assert torch.equal(_aug(shift=0.2)(x, generator=_gen()), x)  # auto: tabular, no noise
    moved = _aug(shift=0.2, kind="signal")(x, generator=_gen())
    assert moved.shape == x.shape and not torch.equal(moved, x)


def test_p_is_the_probability_of_touching_an_example():
    x = torch.zeros(2000, 3)
    out = _aug(noise=1.0, p=0.25)(x, generator=_gen())
    touched = out.abs().sum(1).gt(0).float().mean().item()
    assert touched == pytest.approx(0.25, abs=0.03)
    assert torch.equal(_aug(noise=1.0, p=0.0)(x, generator=_gen()), x)


def test_image_rotation_by_180_degrees_turns_the_image():
    x = torch.zeros(1, 1, 9, 9)
    x[0, 0, 1, 2] = 1.0
    policy = AugmentPolicy(rotate=180)
    aug = Augmenter(policy)
    # find a draw whose angle is close to ±180°: the spike lands at the point mirror
    for seed in range(200):
        out = aug(x, generator=_gen(seed))
        if out[0, 0, 7, 6] > 0.8:
            break
    else:
        pytest.fail("no draw rotated the image by about 180 degrees")
    assert out.sum().item() == pytest.approx(1.0, abs=0.1)


def test_image_shift_scale_cutout_blur_and_noise_change_the_batch():
    x = torch.rand(6, 3, 16, 16) + 1.0  # strictly positive: a cutout shows up as zeros
    out = Augmenter.from_policy("strong:noise=0,rotate=0,shift=0,scale=0,blur=0")(
        x, generator=_gen()
    )
    holes = (out == 0).all(1)  # [B, H, W]: pixels erased in every channel
    assert holes.flatten(1).any(1).all()
    assert holes.flatten(1).float().mean(1).max().item() <= 0.4**2 + 0.1
    for name in ("shift=0.2", "scale=0.3", "blur=1.5", "noise=0.1", "rotate=30"):
        changed = Augmenter.from_policy(name)(x, generator=_gen())
        assert changed.shape == x.shape and not torch.allclose(changed, x), name


def test_image_kind_refuses_other_shapes():
    with pytest.raises(InvalidInputError, match=r"kind image needs batches \[B, C, H, W\]"):
        _aug(kind="image", rotate=5)(torch.zeros(2, 5), generator=_gen())


@pytest.mark.parametrize("shape", [(400, 1, 40), (400, 2, 8, 8)], ids=["signal", "image"])
def test_roll_wraps_each_example_around_by_up_to_the_fraction(shape):
    x = torch.randn(shape)
    out = _aug(roll=0.25)(x, generator=_gen())
    assert not torch.equal(out, x)
    n = shape[-1]
    for i in range(0, shape[0], 37):  # every example is a circular shift of itself
        shifts = [
            s for s in range(-n // 4, n // 4 + 1) if torch.equal(torch.roll(x[i], s, -1), out[i])
        ]
        if len(shape) == 3:
            assert shifts, "a signal example is a roll of the original, within ±roll·L"
        else:  # images roll along both axes
            assert any(
                torch.equal(torch.roll(x[i], (a, b), (-2, -1)), out[i])
                for a in range(-2, 3)
                for b in range(-2, 3)
            )
    full = _aug(roll=1.0)(torch.arange(40.0).repeat(400, 1, 1), generator=_gen())
    assert len(set(full[:, 0, 0].tolist())) > 30  # any offset of the 40 is reached
    assert "roll" in parse_policy("roll=0.5,noise=0.1").model_dump()
