"""`iitbench zoo build|list` and the zoo model names (base-tiny, llava-tiny, wings-tiny)."""

import pytest

from iitbench.cli.main import COMMANDS, main
from iitbench.cli.zoo import list_zoo
from iitbench.errors import ModelError
from iitbench.models import load_model
from iitbench.zoo.build import STAGES
from iitbench.zoo.sweep import sweep_recipes


@pytest.fixture(autouse=True)
def zoo_command(monkeypatch):
    """The lead registers `zoo` in cli/main.py's COMMANDS; make the tests independent of that line."""
    monkeypatch.setitem(COMMANDS, "zoo", ("iitbench.cli.zoo", "ZooCommand"))


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


@pytest.mark.parametrize("name", ["base-tiny", "llava-tiny", "wings-tiny"])
def test_zoo_model_name_without_weights_gives_a_one_line_build_hint(name, tmp_path, monkeypatch):
    monkeypatch.setattr("iitbench.models.zoo.weights_root", lambda: tmp_path)
    with pytest.raises(ModelError) as exc:
        load_model(name)
    message = str(exc.value)
    assert f"iitbench zoo build --only {name}" in message and "\n" not in message
