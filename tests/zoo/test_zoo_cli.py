"""`iitbench zoo build|list` and the zoo model names (base-tiny, llava-tiny, wings-tiny)."""

import pytest

from iitbench.cli.main import main
from iitbench.cli.zoo import list_zoo
from iitbench.errors import ModelError, UserError
from iitbench.models import load_model
from iitbench.zoo.sweep import sweep_recipes
from iitbench.zoo.train import STAGES, selected


def test_zoo_list_names_every_model_with_its_recipe_and_weight_status(tmp_path, capsys):
    text = list_zoo(tmp_path)  # an empty weights dir: nothing built
    for name in STAGES:
        line = next(row for row in text.splitlines() if row.startswith(name + " "))
        assert "missing" in line
    assert all(name in text for name in sweep_recipes())
    assert main(["zoo", "list"]) == 0
    out = capsys.readouterr().out
    assert "wings-tiny" in out and "MLLMRecipe" in out and "siglip-tiny" in out


def test_zoo_build_with_an_unknown_only_name_exits_2(tmp_path, capsys):
    assert main(["zoo", "build", "--only", "gpt-huge", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "gpt-huge" in err and "unknown zoo model" in err and len(err.strip().splitlines()) == 1


def test_zoo_sweep_into_the_shipped_weights_is_refused(capsys):
    assert main(["zoo", "build", "--sweep"]) == 2
    assert "--out" in capsys.readouterr().err


@pytest.fixture
def fake_mllm_training(monkeypatch):
    """Replace the MLLM training (minutes) by a recorder: the names of the recipes train_zoo would train."""
    trained: list[str] = []

    def make_mllm(out, recipe, seed, base, vision, work_dir, base_recipe, log, evaluate=True):
        trained.append(recipe.name)
        return out

    monkeypatch.setattr("iitbench.zoo.mllm.make_mllm", make_mllm)
    return trained


def test_zoo_build_sweep_only_builds_just_the_named_variants(tmp_path, capsys, fake_mllm_training):
    names = ["sweep-wings-short", "sweep-naive-split"]
    argv = ["zoo", "build", "--sweep", "--only", *names, "--out", str(tmp_path / "out"),
            "--work-dir", str(tmp_path / "work"), "--leaderboard", str(tmp_path / "zoo.md"), "--no-eval"]
    assert main(argv) == 0
    assert fake_mllm_training == sorted(names)  # in build order, nothing else of the sweep
    assert "Built 2 zoo model(s)" in capsys.readouterr().out
    assert selected(None, sweep=True) == list(sweep_recipes())  # --sweep alone: every variant
    assert selected(None, sweep=False) == list(STAGES)  # no --sweep: unchanged, the five shipped models


@pytest.mark.parametrize("name", ["sweep-bogus", "llava-tiny"])  # a shipped model is not a sweep variant either
def test_zoo_build_sweep_with_an_unknown_variant_exits_2_with_a_one_line_hint(name, tmp_path, capsys,
                                                                              fake_mllm_training):
    argv = ["zoo", "build", "--sweep", "--only", "sweep-naive-split", name, "--out", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert name in err and "unknown sweep variant" in err and "iitbench zoo list" in err
    assert "sweep-naive-split" not in err and len(err.strip().splitlines()) == 1
    assert fake_mllm_training == []
    with pytest.raises(UserError):
        selected([name], sweep=True)


@pytest.mark.parametrize("name", ["base-tiny", "llava-tiny", "wings-tiny"])
def test_zoo_model_name_without_weights_gives_a_one_line_build_hint(name, tmp_path, monkeypatch):
    monkeypatch.setattr("iitbench.models.zoo.weights_root", lambda: tmp_path)
    with pytest.raises(ModelError) as exc:
        load_model(name)
    message = str(exc.value)
    assert f"iitbench zoo build --only {name}" in message and "\n" not in message


def test_a_sweep_variant_without_sweep_is_refused_so_it_never_lands_in_the_shipped_weights(fake_mllm_training):
    with pytest.raises(UserError, match="a sweep variant; build it with --sweep --only sweep-naive-split --out DIR"):
        selected(["sweep-naive-split"], sweep=False)
    assert fake_mllm_training == []
