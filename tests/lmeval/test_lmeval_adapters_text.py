"""The raw-text protocol methods of dummy, random and hf-causal, and IitbenchLM's request mapping."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from iitbench.models import load_model
from iitbench.models.protocol import TextGenerateRequest, TextScoreRequest

REQS = [TextScoreRequest("a", "Question: 1+1?", " A"), TextScoreRequest("b", "Question: 1+1?", " BB"),
        TextScoreRequest("c", "", "hello")]


@dataclass
class FakeInstance:  # lm-eval's Instance, as far as the LM sees it
    args: tuple


@pytest.mark.parametrize("name", ["dummy", "random"])
def test_score_text_is_deterministic_and_batch_independent(name):
    adapter = load_model(name)
    whole = adapter.score_text(REQS)
    assert whole == load_model(name).score_text(REQS)
    assert [adapter.score_text([r])[0] for r in REQS] == whole


def test_dummy_prefers_short_continuations_and_flags_its_reply_greedy():
    res = load_model("dummy", {"reply": "A"}).score_text(REQS)
    assert res[0].loglik > res[1].loglik
    assert res[0].is_greedy and not res[1].is_greedy


def test_random_score_depends_on_seed():
    assert load_model("random", {"seed": 1}).score_text(REQS) != load_model("random", {"seed": 2}).score_text(REQS)


@pytest.mark.parametrize("name", ["dummy", "random"])
def test_generate_text_cuts_at_until(name):
    adapter = load_model(name)
    out = adapter.generate_text([TextGenerateRequest("g", "Q?", until=("A", "B", "C", "D"))])
    assert out[0].text == ""


def test_default_adapter_has_no_chat_template():
    assert load_model("dummy").apply_chat_template([{"role": "user", "content": "x"}]) is None


def test_iitbench_lm_maps_requests_onto_the_adapter():
    from iitbench.lmeval.lm import IitbenchLM

    lm = IitbenchLM(model="dummy", reply="A", batch_size=1)
    ll = lm.loglikelihood([FakeInstance(("Q:", " A")), FakeInstance(("Q:", " BBB"))])
    assert ll == [(-2.0, True), (-4.0, False)]
    assert lm.loglikelihood_rolling([FakeInstance(("abc",))]) == [-3.0]
    assert lm.generate_until([FakeInstance(("Q:", {"until": ["\n"], "max_gen_toks": 4}))]) == ["A"]
    with pytest.raises(NotImplementedError):
        lm.apply_chat_template([{"role": "user", "content": "x"}])


def test_iitbench_lm_is_in_lm_evals_registry():
    from lm_eval.api.registry import get_model

    from iitbench.lmeval.lm import IitbenchLM

    assert get_model("iitbench") is IitbenchLM


def test_hf_causal_raw_text_matches_rolling_and_generates_until_stop(tiny_dir):
    from iitbench.lmeval.lm import IitbenchLM

    lm = IitbenchLM(model=f"hf-causal:{tiny_dir}", plain_template=True, batch_size=2)
    text = "The answer is blue"
    rolled = lm.loglikelihood_rolling([FakeInstance((text,))])[0]
    assert rolled == pytest.approx(lm.adapter.score_text([TextScoreRequest("x", "", text)])[0].loglik, abs=1e-6)
    free = lm.generate_until([FakeInstance(("User: red\nAssistant:", {"max_gen_toks": 6}))])[0]
    cut = lm.generate_until([FakeInstance(("User: red\nAssistant:", {"until": [free[2:3]] if len(free) > 2 else [],
                                                                         "max_gen_toks": 6}))])[0]
    assert free.startswith(cut) and len(cut) <= len(free)
    assert "User: red" in lm.apply_chat_template([{"role": "user", "content": "red"}])


def test_registering_iitbench_keeps_lm_evals_own_models():
    from lm_eval.api.registry import get_model

    import iitbench.lmeval.lm  # noqa: F401

    assert get_model("hf").__name__ == "HFLM"
