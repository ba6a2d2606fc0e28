import json
import os

import pytest

from iitbench.data.manifest import load_dataset_dir
from iitbench.datasets.pipeline import build_dataset
from iitbench.errors import UserError
from tests.datasets.build_fixtures import make_pool, make_set


def build(out, pool, **kw):
    args = dict(configs=("T", "TV", "V"), per_config=6, seed=0, grouping="random")
    args.update(kw)
    return build_dataset(make_set(pool), out, **args)


def test_images_are_deduplicated_with_relative_paths(tmp_path, pool):
    build(tmp_path / "ds", pool)
    ds = load_dataset_dir(tmp_path / "ds")
    paths = {p.path for it in ds.items for t in it.turns for p in t.images}
    assert paths and all(p.startswith("images/") and p.endswith(".png") for p in paths)
    files = sorted(os.listdir(tmp_path / "ds" / "images"))
    # Twelve visual questions share three distinct PNGs: one file each.
    assert len(files) == len(paths) <= 3
    assert sorted(p.split("/")[1] for p in paths) == files


def test_card_counts_and_licences_of_used_sources(tmp_path, pool):
    card = build(tmp_path / "ds", pool, configs=("V",))
    assert card.counts_per_config == {"V": 6}
    assert card.counts_per_source == {"gamma": 6}
    assert card.licences == {"gamma": "licence-of-gamma"}  # text sources unused: not listed
    card = build(tmp_path / "ds2", pool)
    assert card.counts_per_config == {"T": 6, "TV": 6, "V": 6}
    assert sum(card.counts_per_source.values()) == 6 + 12 + 6
    assert set(card.licences) == set(card.counts_per_source)
    on_disk = json.loads((tmp_path / "ds2" / "dataset.json").read_text())
    assert on_disk["build"]["seed"] == 0 and on_disk["build"]["grouping"] == "random"
    assert on_disk["build"]["configs"] == ["T", "TV", "V"] and on_disk["build"]["per_config"] == 6
    assert on_disk["fingerprint"] == load_dataset_dir(tmp_path / "ds2").fingerprint


def test_same_inputs_give_same_bytes(tmp_path, pool):
    build(tmp_path / "a", pool)
    build(tmp_path / "b", pool)
    for name in ("items.jsonl", "dataset.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_non_empty_directory_that_is_not_a_dataset_is_refused(tmp_path, pool):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="not empty"):
        build(tmp_path / "mine", pool)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_rebuild_replaces_old_dataset_cleanly(tmp_path, pool):
    out = tmp_path / "ds"
    build(out, pool, configs=("V",))
    old_images = set(os.listdir(out / "images"))
    build(out, make_pool(n_text=20, n_image=0), configs=("T",))
    assert load_dataset_dir(out).card.counts_per_config == {"T": 6}
    assert old_images and not os.listdir(out / "images")  # stale images of the old build are gone
    assert sorted(os.listdir(tmp_path)) == ["ds"]  # no temporary siblings left behind


def test_failed_build_leaves_old_dataset_intact(tmp_path, pool):
    out = tmp_path / "ds"
    build(out, pool)
    before = (out / "items.jsonl").read_bytes()
    with pytest.raises(UserError):
        build(out, pool, per_config=1000)
    assert (out / "items.jsonl").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ds"]
