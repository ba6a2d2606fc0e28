"""Model names and --model-args: unknown names, malformed arguments, and `iitbench models`."""

from __future__ import annotations

import pytest

from iitbench.cli.models import ModelsCommand, describe_target
from iitbench.errors import ModelError, UserError
from iitbench.models import load_model, parse_model_args
from iitbench.models.dummy import DummyAdapter


def test_unknown_model_name_suggests_close_names():
    with pytest.raises(UserError, match="did you mean 'dummy'"):
        load_model("dumy")
    with pytest.raises(UserError, match="hf-causal"):
        load_model("hf-casual:some/dir")


@pytest.mark.parametrize("text", ["a=1,b", "=3", "a=1,a=2", "a b=1", "x=1,,y=2"])
def test_malformed_model_args_raise_model_error(text):
    with pytest.raises(ModelError, match="--model-args"):
        parse_model_args(text)


def test_model_args_values_are_converted():
    assert parse_model_args("a=1,b=true,c=x,d=0.5,e=none") == {"a": 1, "b": True, "c": "x", "d": 0.5, "e": None}


def test_models_command_lists_builtins_with_origin_and_description(capsys):
    assert ModelsCommand().run(None) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "built-in" in lines["dummy"] and "smallest complete adapter" in lines["dummy"]
    assert "built-in" in lines["random"] and "chance baseline" in lines["random"]
    assert "AutoModelForCausalLM" in lines["hf-causal:PATH_OR_HUB_ID"]


def test_iitbench_models_cli_lists_dummy_random_hf_causal(capsys):
    from iitbench.cli.main import main

    assert main(["models"]) == 0
    names = {line.split()[0].split(":")[0] for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert {"dummy", "random", "hf-causal"} <= names


def test_description_is_the_same_from_source_and_from_the_class():
    from_source = describe_target("iitbench.models.dummy:DummyAdapter")
    assert from_source == describe_target(DummyAdapter)
    assert from_source[1] is False
    assert describe_target("iitbench.models.hf_causal:HFCausalAdapter")[1] is True
