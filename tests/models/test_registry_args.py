"""--model-args are checked against the adapter's constructor annotations, the same way for every adapter."""

from __future__ import annotations

import pytest

from iitbench.cli.main import main
from iitbench.errors import ModelError
from iitbench.models import check_model_args, load_model
from iitbench.models.random_adapter import RandomAdapter


def test_a_wrong_type_names_the_argument_in_one_line():
    with pytest.raises(ModelError, match=r"^--model-args seed='abc': random takes an integer for seed$"):
        load_model("random", {"seed": "abc"})


def test_optional_and_boolean_arguments_take_none_and_booleans_only():
    from iitbench.models.hf_causal import HFCausalAdapter

    assert check_model_args(HFCausalAdapter, {"max_length": None, "prefix_sharing": False}) == \
        {"max_length": None, "prefix_sharing": False}
    with pytest.raises(ModelError, match="prefix_sharing=1: hf-causal takes true or false"):
        check_model_args(HFCausalAdapter, {"prefix_sharing": 1})
    with pytest.raises(ModelError, match="max_length=True: hf-causal takes an integer or none"):
        check_model_args(HFCausalAdapter, {"max_length": True})


def test_a_number_where_a_string_fits_becomes_the_string():
    assert load_model("dummy", {"reply": 1}).reply == "1"
    assert check_model_args(RandomAdapter, {"seed": 3}) == {"seed": 3}


def test_arguments_passed_through_kwargs_are_checked_against_the_base_class():
    from iitbench.models.zoo import WingsTiny

    with pytest.raises(ModelError, match="use_cache=3: wings-tiny takes true or false"):
        check_model_args(WingsTiny, {"use_cache": 3})


def test_the_cli_exits_2_with_the_one_line_message(tmp_path, capsys):
    assert main(["run", "--model", "random", "--model-args", "seed=abc", "--suite", str(tmp_path),
                 "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "seed='abc'" in err


def test_an_unknown_argument_is_bad_input_but_a_type_error_inside_the_constructor_is_a_bug(monkeypatch):
    from iitbench.models import MODELS

    class Broken(RandomAdapter):
        name = "broken"

        def __init__(self, seed: int = 0):
            super().__init__(seed)
            len(5)  # a bug in the adapter: must surface as itself, not as "bad --model-args"

    monkeypatch.setitem(MODELS._targets, "broken", Broken)
    with pytest.raises(ModelError, match="bad --model-args for Broken: .*unexpected keyword argument 'colour'"):
        load_model("broken", {"colour": "red"})
    with pytest.raises(TypeError, match="has no len"):
        load_model("broken", {"seed": 1})
