"""hf-causal generation: greedy, deterministic, batch-independent, max_new_tokens and stop strings."""

from __future__ import annotations

from iitbench.models import GenerateRequest, load_model
from tests.models.chat_messages import user


def gen_requests() -> list[GenerateRequest]:
    return [GenerateRequest(key=f"g{i}", messages=(user("the cat " * (1 + 3 * i) + "which?"),),
                            max_new_tokens=4 + (i % 3) * 3, stop=("is",) if i % 2 else ()) for i in range(7)]


def test_generation_is_deterministic(adapter):
    reqs = gen_requests()
    assert adapter.generate(reqs) == adapter.generate(reqs)


def test_batched_generation_equals_unbatched(tiny_lm):
    reqs = gen_requests()  # mixed stop strings and lengths in one batch
    batched = load_model(f"hf-causal:{tiny_lm}", {"batch_size": 8}).generate(reqs)
    single = load_model(f"hf-causal:{tiny_lm}", {"batch_size": 1})
    assert batched == [single.generate([r])[0] for r in reqs]


def test_max_new_tokens_bounds_the_reply_and_matches_a_manual_greedy_loop(adapter):
    import torch

    req = gen_requests()[0]
    short = adapter.generate([GenerateRequest(key="s", messages=req.messages, max_new_tokens=3)])[0].text
    longer = adapter.generate([GenerateRequest(key="l", messages=req.messages, max_new_tokens=12)])[0].text
    ids = adapter.tokenizer(adapter.render(req.messages), add_special_tokens=False)["input_ids"]
    new: list[int] = []
    with torch.no_grad():
        for _ in range(3):
            new.append(int(adapter.model(torch.tensor([ids + new])).logits[0, -1].argmax()))
    assert adapter.tokenizer.eos_token_id not in new, "precondition: no early end of sequence"
    assert short == adapter.tokenizer.decode(new, skip_special_tokens=True)
    assert longer.startswith(short) and len(longer) > len(short)


def test_stop_string_cuts_the_reply(adapter):
    req = GenerateRequest(key="x", messages=gen_requests()[1].messages, max_new_tokens=12)
    full = adapter.generate([req])[0].text
    assert len(full) >= 3, "precondition: the random model produces some text"
    stop = full[2:4]
    cut = adapter.generate([GenerateRequest(key="x", messages=req.messages, max_new_tokens=12, stop=(stop,))])[0].text
    assert cut == full[:full.find(stop)]
