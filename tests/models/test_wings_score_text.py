"""Raw-text scoring by WINGS adapters (cloze prompts, the lm-eval bridge): the same numbers as a direct forward, with
or without prefix sharing, so an MLLM can be compared with its base on text-real."""

from __future__ import annotations

import pytest
import torch

from iitbench.models import load_model
from iitbench.models.protocol import TextScoreRequest

REQS = [TextScoreRequest("a/0", "Question: What is 3 plus 4?\nAnswer:", " 7"),
        TextScoreRequest("a/1", "Question: What is 3 plus 4?\nAnswer:", " twelve apples"),
        TextScoreRequest("b/0", "The sky is ", "blue"),  # trailing space moves into the continuation
        TextScoreRequest("c/0", "", "hello")]


def _direct(adapter, req):
    enc = adapter.processor.encode_text
    ctx, cont = req.context.rstrip(), req.context[len(req.context.rstrip()):] + req.continuation
    full = enc(ctx + cont)
    start = len(enc(ctx)) if ctx else 0
    if start == 0:
        full, start = [adapter.processor.tokenizer.bos_token_id or adapter.processor.tokenizer.eos_token_id] + full, 1
    with torch.inference_mode():
        logits = adapter.model(input_ids=torch.tensor([full]), use_cache=False).logits[0].double()
    lp = torch.log_softmax(logits, -1)
    return sum(float(lp[t - 1, full[t]]) for t in range(start, len(full))), len(full) - start


@pytest.mark.parametrize("name", ["wings-tiny", "llava-tiny"])
def test_wings_score_text_equals_a_direct_forward_with_and_without_prefix_sharing(name):
    shared = load_model(name, {"batch_size": 2})
    plain = load_model(name, {"batch_size": 3, "prefix_sharing": False})
    got, naive = shared.score_text(REQS), plain.score_text(REQS)
    for req, g, n in zip(REQS, got, naive):
        want, n_tok = _direct(plain, req)
        assert g.n_tokens == n.n_tokens == n_tok
        assert g.loglik == pytest.approx(want, abs=1e-4) and n.loglik == pytest.approx(want, abs=1e-4)
