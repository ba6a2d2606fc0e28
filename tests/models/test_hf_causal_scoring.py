"""hf-causal scoring: chat template, lm-eval-style continuation log-likelihood, batching, boundary merges, truncation."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from iitbench.data.types import TextPart
from iitbench.errors import ModelError
from iitbench.models import ChoiceRequest, ImageRef, Message, load_model
from iitbench.models.hf_loglik import split_point
from tests.models.chat_messages import assistant, user


def manual_loglik(model_dir: Path, context_ids: list[int], full_ids: list[int], start: int) -> float:
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        logits = model(torch.tensor([full_ids])).logits[0].double()
    logprobs = torch.log_softmax(logits, dim=-1)
    return float(sum(logprobs[t - 1, full_ids[t]] for t in range(start, len(full_ids))))


def requests(n: int) -> list[ChoiceRequest]:
    out = []
    for i in range(n):
        history = (user(f"What is {i} plus {i}?"), assistant(str(2 * i))) if i % 2 else ()
        out.append(ChoiceRequest(key=f"item-{i}#0", messages=history + (user("Which is red? " * (1 + i % 5)),),
                                 choices=("A", "B", "blue green " * (1 + i % 3), "fire")))
    return out


def test_prompt_uses_the_chat_template(adapter):
    prompt = adapter.render((user("Which is red?"),))
    assert prompt.endswith("<|im_start|>assistant\n")
    assert "<|im_start|>user\nWhich is red?<|im_end|>" in prompt


def test_loglik_equals_direct_computation_with_the_hf_model(adapter, tiny_lm):
    req = ChoiceRequest(key="k", messages=(user("Which of the following is a bird? A. cat B. dog"),),
                        choices=("B. dog", "the answer"))
    result = adapter.score_choices([req])[0]
    tok = AutoTokenizer.from_pretrained(tiny_lm)
    prompt = tok.apply_chat_template([{"role": "user", "content": req.messages[0].text}],
                                     add_generation_prompt=True, tokenize=False)
    ctx = tok(prompt, add_special_tokens=False)["input_ids"]
    for choice, loglik, n in zip(req.choices, result.logliks, result.n_tokens):
        full = tok(prompt + choice, add_special_tokens=False)["input_ids"]
        assert full[:len(ctx)] == ctx
        assert n == len(full) - len(ctx) > 0
        assert loglik == pytest.approx(manual_loglik(tiny_lm, ctx, full, len(ctx)), abs=1e-4)


def test_batch_size_does_not_change_scores(tiny_lm):
    reqs = requests(9)
    one = load_model(f"hf-causal:{tiny_lm}", {"batch_size": 1})
    eight = load_model(f"hf-causal:{tiny_lm}", {"batch_size": 8})
    singly = [one.score_choices([r])[0] for r in reqs]
    together = eight.score_choices(reqs)
    for a, b in zip(singly, together):
        assert a.n_tokens == b.n_tokens
        assert max(range(4), key=a.logliks.__getitem__) == max(range(4), key=b.logliks.__getitem__)
        assert max(abs(x - y) for x, y in zip(a.logliks, b.logliks)) <= 1e-5


def test_boundary_merge_moves_split_to_last_common_token(tiny_lm, tmp_path):
    template = tmp_path / "bare.jinja"  # the prompt is the user's text as is, so it can end mid-word
    template.write_text("{% for message in messages %}{{ message['content'] }}{% endfor %}")
    bare = load_model(f"hf-causal:{tiny_lm}", {"chat_template": str(template)})
    tok = AutoTokenizer.from_pretrained(tiny_lm)
    ctx = tok("the ans", add_special_tokens=False)["input_ids"]
    full = tok("the answer", add_special_tokens=False)["input_ids"]
    assert full[:len(ctx)] != ctx, "precondition: the tokenizer merges across the boundary"
    start = split_point(ctx, full)
    assert 0 < start < len(ctx)
    result = bare.score_choices([ChoiceRequest(key="m", messages=(user("the ans"),), choices=("wer",))])[0]
    assert result.n_tokens == (len(full) - start,)
    assert result.logliks[0] == pytest.approx(manual_loglik(tiny_lm, ctx, full, start), abs=1e-4)


def test_split_point_is_the_common_prefix_length():
    assert split_point([1, 2, 3], [1, 2, 3, 4, 5]) == 3
    assert split_point([1, 2, 3], [1, 2, 9, 5]) == 2
    assert split_point([], [7]) == 0


def test_image_dialogues_are_not_applicable(adapter, tmp_path):
    with_image = (Message(role="user", parts=(ImageRef(root=tmp_path, path="images/a.png"), TextPart("What?"))),)
    assert adapter.capabilities.images is False
    assert "image" in adapter.accepts(with_image)
    assert adapter.accepts((user("What?"),)) is None
    with pytest.raises(ModelError, match="img#1"):
        adapter.score_choices([ChoiceRequest(key="img#1", messages=with_image, choices=("A", "B"))])


def test_truncation_left_drops_oldest_tokens_and_is_counted(tiny_lm):
    model = load_model(f"hf-causal:{tiny_lm}", {"max_length": 24})
    long_req = ChoiceRequest(key="long#0", messages=(user("the cat and the dog " * 20),), choices=("A", "B"))
    short_req = ChoiceRequest(key="short#0", messages=(user("hi"),), choices=("A",))
    results = model.score_choices([long_req, short_req])
    assert model.describe()["truncated_requests"] == 1
    assert model.describe()["truncation"] == "left"
    tok = AutoTokenizer.from_pretrained(tiny_lm)
    prompt = model.render(long_req.messages)
    ctx = tok(prompt, add_special_tokens=False)["input_ids"]
    full = tok(prompt + "A", add_special_tokens=False)["input_ids"]
    kept = full[-24:]
    expected = manual_loglik(tiny_lm, [], kept, len(kept) - (len(full) - len(ctx)))
    assert results[0].logliks[0] == pytest.approx(expected, abs=1e-4)


def test_truncation_error_names_the_request(tiny_lm):
    model = load_model(f"hf-causal:{tiny_lm}", {"max_length": 24, "truncation": "error"})
    long_req = ChoiceRequest(key="long#3", messages=(user("the cat and the dog " * 20),), choices=("A", "B"))
    with pytest.raises(ModelError, match=r"long#3.*truncation=left"):
        model.score_choices([long_req])


def test_empty_choice_scores_zero_tokens(adapter):
    result = adapter.score_choices([ChoiceRequest(key="e", messages=(user("hi"),), choices=("", "A"))])[0]
    assert result.n_tokens[0] == 0 and result.logliks[0] == 0.0
    assert result.n_tokens[1] >= 1 and result.logliks[1] < 0
