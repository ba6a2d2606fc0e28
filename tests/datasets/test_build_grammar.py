import pytest

from iitbench.datasets.grammar import DEFAULT_CONFIGS, parse_configs
from iitbench.errors import UserError


def test_default_configs_are_the_papers_six():
    assert DEFAULT_CONFIGS == ("T", "TT", "TTT", "TTV", "TV", "V")
    assert parse_configs(None) == DEFAULT_CONFIGS
    assert parse_configs("") == DEFAULT_CONFIGS


def test_paper_list_parses_in_order():
    assert parse_configs("T,TT,TTT,TTV,TV,V") == DEFAULT_CONFIGS


@pytest.mark.parametrize("spec,expected", [("TTTV", ("TTTV",)), ("VVT", ("VVT",)), ("V, tv ,TTV", ("V", "TV", "TTV")),
                                           ("T,T,TV", ("T", "TV"))])
def test_any_string_over_t_and_v_is_a_config(spec, expected):
    assert parse_configs(spec) == expected


def test_bad_letter_error_names_config_and_letter():
    with pytest.raises(UserError) as e:
        parse_configs("T,TXV")
    msg = str(e.value)
    assert "TXV" in msg and "'X'" in msg and "\n" not in msg


def test_empty_config_between_commas_is_an_error():
    with pytest.raises(UserError, match="empty config"):
        parse_configs("T,,TV")
