"""A folder of images as DATA: class folders (or part folders holding them) become labels (and
the preset split); their pixels become [n, channels, height, width]; what does not fit is one
warning or one line."""

import shutil

import numpy as np
import pytest
from PIL import Image

from orthotune import InvalidInputError
from orthotune.data import LoadOptions, load_dataset, make_split


def _save(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def _folder(root, classes=("cat", "dog"), per=6, size=8, rgb=True, rng=None):
    """``per`` images per class, class k's pixels all 40·k (+ noise), saved as PNG."""
    rng = rng or np.random.default_rng(0)
    shape = (size, size, 3) if rgb else (size, size)
    for k, name in enumerate(classes):
        for i in range(per):
            pixels = (40 * k + rng.integers(0, 5, shape)).astype(np.uint8)
            _save(root / name / f"{i}.png", pixels)
    return root


def test_class_folders_are_labels_and_pixels_are_channels_first(tmp_path, caplog):
    root = _folder(tmp_path / "pets")
    _save(root / "dog" / "big.png", np.full((12, 10, 3), 40, np.uint8))  # resized to 8×8
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / ".DS_Store").write_text("hidden: skipped quietly")
    with caplog.at_level("WARNING"):
        ds = load_dataset(str(root))
    assert ds.class_names == ("cat", "dog") and ds.input_shape == (3, 8, 8)
    assert len(ds) == 13 and ds.y.tolist().count(1) == 7
    ids = list(ds.ids)
    assert "dog/big.png" in ids and "cat/0.png" in ids
    big = ds.x[ids.index("dog/big.png")]
    assert big.shape == (3, 8, 8) and float(big.float().mean()) == pytest.approx(40.0)
    cat = ds.x[ids.index("cat/0.png")]
    assert float(cat.float().max()) < 5  # the pixels as saved (normalized later, on train)
    assert "1 file(s) that are not images were left out (first: " in caplog.text
    assert "cat/notes.txt" in caplog.text and ".DS_Store" not in caplog.text
    assert "1 of 13 images are not 8×8 (their most common size): resized to it" in caplog.text
    (root / "bird").mkdir()  # a class folder left empty: left out, and said (it was silent)
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert load_dataset(str(root)).class_names == ("cat", "dog")
    assert "class folder 'bird' holds no image: that class is left out" in caplog.text


def test_gray_images_are_one_channel_and_one_colour_image_makes_every_one_rgb(tmp_path):
    gray = load_dataset(str(_folder(tmp_path / "g", rgb=False)))
    assert gray.input_shape == (1, 8, 8)
    mixed = _folder(tmp_path / "m", rgb=False)
    _save(mixed / "cat" / "colour.png", np.zeros((8, 8, 3), np.uint8))
    assert load_dataset(str(mixed)).input_shape == (3, 8, 8)


def test_16_bit_gray_images_keep_their_levels_on_the_8_bit_scale(tmp_path):
    """A 16-bit PNG is not clipped at 255 (mode "L" would turn almost every pixel white): its
    levels are kept, scaled to the 8-bit range, and an 8-bit image beside it reads the same."""
    deep = np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000  # 0 … 63,000
    for name in ("a", "b"):
        _save(tmp_path / "d" / name / "deep.png", deep)
        _save(tmp_path / "d" / name / "flat.png", np.full((8, 8), 51, np.uint8))
    ds = load_dataset(str(tmp_path / "d"))
    ids = list(ds.ids)
    got = ds.x[ids.index("a/deep.png")][0].numpy()
    np.testing.assert_allclose(got, deep.astype(np.float64) * 255 / 65535, rtol=1e-5)
    assert len(np.unique(got)) == 64
    assert ds.x[ids.index("b/flat.png")].float().mean() == pytest.approx(51.0)
    _save(tmp_path / "d" / "a" / "colour.png", np.full((8, 8, 3), 9, np.uint8))
    ds = load_dataset(str(tmp_path / "d"))  # one colour image: every image read as RGB
    got = ds.x[list(ds.ids).index("a/deep.png")].numpy()  # was clipped: almost all 255
    np.testing.assert_allclose(got[1], deep.astype(np.float64) * 255 / 65535, atol=1.0)


def test_a_photo_turned_by_its_exif_tag_has_its_upright_size(tmp_path):
    for name in ("a", "b"):
        for i in range(3):
            img = Image.fromarray(np.full((12, 16, 3), 40 * i, np.uint8))  # stored 16 wide
            exif = img.getexif()
            exif[0x0112] = 6  # a quarter turn: upright it is 16 high, 12 wide
            (tmp_path / "e" / name).mkdir(parents=True, exist_ok=True)
            img.save(tmp_path / "e" / name / f"{i}.jpg", exif=exif)
    # was (3, 12, 16): the size before the turn, every photo squashed, nothing said
    assert load_dataset(str(tmp_path / "e")).input_shape == (3, 16, 12)


def test_part_folders_are_the_preset_split(tmp_path):
    rng = np.random.default_rng(1)
    for part in ("train", "val", "test"):
        _folder(tmp_path / "d" / part, rng=rng)
    ds = load_dataset(str(tmp_path / "d"))
    assert ds.class_names == ("cat", "dog")
    split = dict(zip(ds.ids, ds.preset_split, strict=True))
    assert split["train/cat/0.png"] == "train" and split["val/dog/3.png"] == "dev"
    assert sorted(set(ds.preset_split)) == ["dev", "test", "train"]
    # train/ and test/ alone: the split policy takes dev from train's images
    shutil.rmtree(tmp_path / "d" / "val")
    ds = load_dataset(str(tmp_path / "d"))
    split = dict(zip(ds.ids, ds.preset_split, strict=True))
    assert split["train/cat/0.png"] == "" and split["test/dog/3.png"] == "test"
    parts = make_split(ds, seed=0)
    assert len(parts.dev) > 0 and {ds.ids[i] for i in parts.dev} <= {
        i for i in ds.ids if i.startswith("train/")
    }


def test_a_folder_beside_the_part_folders_is_left_out_with_a_warning(tmp_path, caplog):
    rng = np.random.default_rng(2)
    for part in ("train", "val"):
        _folder(tmp_path / "d" / part, rng=rng)
    _save(tmp_path / "d" / "unlabeled" / "x.png", np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "d" / "__MACOSX" / "train").mkdir(parents=True)  # a Mac zip's: quietly
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(tmp_path / "d"))
    # were classes train, unlabeled and val: the part an image came from, learned
    assert ds.class_names == ("cat", "dog") and len(ds) == 24
    assert "holds part folders (train, val) and 1 other folder(s) (first: unlabeled)" in (
        caplog.text
    )
    assert "__MACOSX" not in caplog.text


@pytest.mark.parametrize(
    ("make", "options", "match"),
    [
        (lambda r: r.mkdir(), {}, r"d: a folder with no images \(.png, .jpg.*\) in it: lay it out"),
        (
            lambda r: _save(r / "0.png", np.zeros((8, 8), np.uint8)),
            {},
            r"d: holds images but no class folders: lay it out as FOLDER/CLASS/IMAGE.png",
        ),
        (
            lambda r: _folder(r, classes=("cat",)),
            {},
            r"d: needs at least 2 classes to classify, found 1 \(cat\): check its class folders",
        ),
        (  # PIL's DecompressionBombError was "internal error" (exit 1)
            lambda r: (_folder(r), Image.new("1", (14000, 14000)).save(r / "dog" / "big.png")),
            {},
            r"dog/big.png: too large to read as an image \(.*\): resize it",
        ),
        (
            lambda r: (_folder(r), (r / "dog" / "2.png").write_bytes(b"\x89PNG broken")),
            {},
            r"dog/2.png: cannot be read as an image \(.*\): remove or replace it$",
        ),
        (  # a dangling link was skipped without a word: an example lost silently
            lambda r: (_folder(r), (r / "dog" / "9.png").symlink_to(r / "gone.png")),
            {},
            r"dog/9.png: a link to .*gone.png, which does not exist: restore the image or remove",
        ),
        (
            _folder,
            {"target": "label"},
            r"d: --target applies only to CSV and Parquet files; a folder of images names its",
        ),
    ],
)
def test_image_folder_problems_are_one_line(tmp_path, make, options, match):
    make(tmp_path / "d")
    with pytest.raises(InvalidInputError, match=match):
        load_dataset(str(tmp_path / "d"), LoadOptions(**options))


def test_predict_reads_a_folder_of_new_images_at_the_models_size(tmp_path, caplog):
    """Images without class folders are examples to predict, named by their files; one of
    another size is resized to the model's input; class folders give y_true."""
    import orthotune
    from orthotune.train import load_predictor
    from orthotune.train._predict import predict

    root = _folder(tmp_path / "pets", per=12)
    _save(root / "cat" / "wide.png", np.zeros((8, 16, 3), np.uint8))
    with caplog.at_level("WARNING"):
        summary = orthotune.train(str(root), out=tmp_path / "run", training={"epochs": 1}, seed=0)
    # said once, when the run read its data (not again as it writes the run's predictions)
    assert caplog.text.count("1 of 25 images are not 8×8") == 1
    caplog.clear()
    predictor = load_predictor(summary.run_dir)
    new = tmp_path / "new"
    _save(new / "a.png", np.zeros((8, 8, 3), np.uint8))
    _save(new / "b.jpg", np.full((16, 16, 3), 40, np.uint8))
    with caplog.at_level("WARNING"):
        frame = predict(predictor, str(new))
    assert frame["id"].tolist() == ["a.png", "b.jpg"] and "y_true" not in frame
    assert "1 of 2 images are not 8×8 (the model's input): resized to it" in caplog.text
    labelled = predict(predictor, str(root))
    assert set(labelled["y_true"]) == {"cat", "dog"} and len(labelled) == 25


def test_a_flat_folder_to_predict_refuses_column_flags_as_a_class_folder_does(tmp_path):
    from PIL import Image

    from orthotune import InvalidInputError
    from orthotune.data import LoadOptions, unlabelled_examples

    (tmp_path / "flat").mkdir()
    for i in range(2):
        Image.new("RGB", (8, 8), (i * 90, 0, 0)).save(tmp_path / "flat" / f"{i}.png")
    assert unlabelled_examples(str(tmp_path / "flat"), LoadOptions(), None) is not None
    with pytest.raises(InvalidInputError, match=r"flat: --target, --id apply only to CSV"):
        unlabelled_examples(str(tmp_path / "flat"), LoadOptions(target="foo", id="bar"), None)


def test_images_beside_the_class_folders_are_called_images_left_out(tmp_path, caplog):
    root = _folder(tmp_path / "pets")
    _save(root / "loose.png", np.full((8, 8, 3), 9, np.uint8))  # was "not an image"
    with caplog.at_level("WARNING"):
        load_dataset(str(root))
    assert (
        "1 image(s) lie outside the class folders and were left out (first: loose.png): move "
        "each into its class folder" in caplog.text
    )
    assert "not images" not in caplog.text
