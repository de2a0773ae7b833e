"""A model that reads only its chosen features (``ModelSpec.select``): the ANOVA F against
scikit-learn's, the choice made by the Trainer on its training rows, kept in the checkpoint."""

import numpy as np
import pytest
import torch
from pydantic import ValidationError
from sklearn.feature_selection import f_classif

from orthotune.data import load_dataset
from orthotune.models import ModelSpec, build_model, count_parameters
from orthotune.models._select import anova_f, top_inputs
from orthotune.train import Manifest, TrainConfig, Trainer, load_checkpoint, save_checkpoint


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")  # sklearn's nan
def test_anova_f_is_scikit_learns_f_classif_with_constant_columns_at_zero():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 12, generator=g)
    y = torch.randint(0, 3, (300,), generator=g)
    x[:, 2] += y.float()  # informative
    x[:, 5] = 4.0  # constant: scikit-learn says nan (and warns), here 0
    want = np.nan_to_num(f_classif(x.numpy(), y.numpy())[0], nan=0.0)
    assert torch.allclose(anova_f(x, y), torch.from_numpy(want), rtol=1e-6)
    # a column constant within each class but not between them separates perfectly: +inf
    x[:, 7] = y.double().float()
    assert anova_f(x, y)[7] == float("inf")
    assert top_inputs(x, y, 2).tolist() == [2, 7]


def test_top_inputs_finds_the_columns_a_wide_synthetic_table_depends_on():
    ds = load_dataset("builtin:synthetic?n=3000&classes=2&features=200&informative=4&noise=0")
    assert ds.name.endswith("informative=4&seed=0")
    assert set(top_inputs(ds.x, ds.y, 8).tolist()) >= {0, 1, 2, 3}


def test_a_synthetic_table_cannot_have_more_informative_features_than_features():
    from orthotune import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"informative=30 must be in \[0, features=20\]"):
        load_dataset("builtin:synthetic?features=20&informative=30")


def test_select_needs_a_vector_model_with_more_features_than_it_keeps():
    ModelSpec(input_shape=(50,), num_classes=2, select=5)
    with pytest.raises(ValidationError, match="select=50 needs an mlp on vectors of more than 50"):
        ModelSpec(input_shape=(50,), num_classes=2, select=50)
    with pytest.raises(ValidationError, match="select=3 needs an mlp"):
        ModelSpec(
            kind="cnn1d", input_shape=(1, 40), num_classes=2, conv=({"channels": 4},), select=3
        )


def test_the_trainer_chooses_the_inputs_on_its_rows_and_the_checkpoint_keeps_them(tmp_path):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(400, 60, generator=g)
    y = (x[:, 11] - x[:, 42] > 0).long()
    spec = ModelSpec(input_shape=(60,), num_classes=2, hidden=(16,), select=4)
    model = build_model(spec)
    assert count_parameters(model) == 4 * 16 + 16 + 16 * 2 + 2  # the first layer reads 4
    assert not model.inputs_chosen
    config = TrainConfig(optimizer="adam", lr=0.01, epochs=15, batch_size=32)
    result = Trainer(config, device="cpu").fit(model, (x, y))
    chosen = model.inputs.tolist()
    assert model.inputs_chosen and {11, 42} <= set(chosen) and chosen == sorted(chosen)
    assert chosen == top_inputs(x, y, 4).tolist()
    assert result.history[-1].train_error < 0.05
    # trained again (a warm start, more epochs): the chosen inputs stay
    Trainer(config, device="cpu").fit(model, (x[:50], 1 - y[:50]))
    assert model.inputs.tolist() == chosen
    # the checkpoint holds them: the loaded model reads the same columns of full-width rows
    save_checkpoint(tmp_path / "m", model, Manifest(spec=spec))
    loaded, manifest = load_checkpoint(tmp_path / "m")
    assert manifest.spec.select == 4 and loaded.inputs.tolist() == chosen
    model.eval()
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
        other = x.clone()
        other[:, [c for c in range(60) if c not in chosen]] = 0.0  # columns it does not read
        assert torch.equal(loaded(other), loaded(x))
