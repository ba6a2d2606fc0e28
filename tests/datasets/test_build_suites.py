import pytest

from iitbench.data.manifest import load_dataset_dir
from iitbench.datasets.suites import build_synth_suite, default_suite_dir, ensure_suite
from iitbench.errors import UserError


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IITBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_text_suite_is_single_turn_text_over_every_text_family(tmp_path, synth):
    card = build_synth_suite(tmp_path / "text", "text", per_config=3)
    ds = load_dataset_dir(tmp_path / "text")
    assert {it.config for it in ds.items} == {"T"}
    families = {t.source for it in ds.items for t in it.turns}
    assert len(families) >= 2 and all(n == 3 for n in card.counts_per_source.values())
    assert card.licences == {"synth": synth.LICENCE}


@pytest.mark.parametrize("suite", ["text", "mm"])
def test_single_kind_suites_interleave_families_so_a_limit_samples_them_all(tmp_path, synth, suite):
    build_synth_suite(tmp_path / suite, suite, per_config=3)
    ds = load_dataset_dir(tmp_path / suite)
    families = [it.turns[0].source for it in ds.items]
    n = len(set(families))
    assert n >= 2 and len(set(families[:n])) == n  # the first n items: one of each family
    assert families[:n] == families[n:2 * n]  # then the same order again


def test_mm_suite_is_single_turn_visual(tmp_path, synth):
    build_synth_suite(tmp_path / "mm", "mm", per_config=2)
    ds = load_dataset_dir(tmp_path / "mm")
    assert {it.config for it in ds.items} == {"V"} and all(it.turns[0].images for it in ds.items)


def test_iit_suite_has_the_six_configs(tmp_path, synth):
    card = build_synth_suite(tmp_path / "iit", "iit", per_config=4, grouping="random")
    assert card.counts_per_config == {c: 4 for c in ("T", "TT", "TTT", "TTV", "TV", "V")}


def test_suite_dir_is_under_cache_and_named_with_synth_version(cache, synth):
    d = default_suite_dir("text", 3)
    assert d.parent.parent == cache and f"synth{synth.VERSION}" in d.name and "seed3" in d.name


def test_ensure_suite_builds_once_then_reuses_the_cache(cache, synth):
    d = ensure_suite("mm", 0)
    stamp = (d / "items.jsonl").stat().st_mtime_ns
    assert ensure_suite("mm", 0) == d
    assert (d / "items.jsonl").stat().st_mtime_ns == stamp
    assert load_dataset_dir(d).card.n_items > 0


def test_unknown_suite_is_a_user_error(cache):
    with pytest.raises(UserError, match="--suite"):
        default_suite_dir("vision")
