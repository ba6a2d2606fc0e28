"""`hf-causal` (a base LLM): content text around where the image stood, masses equal eager output_attentions."""

from __future__ import annotations

import torch

from iitbench.laws.extract import attention_mass
from iitbench.laws.protocol import AFTER, BEFORE, IMAGE, LawsOptions
from tests.laws.helpers import masses_from_weights, two_requests


def test_base_llm_masses_match_eager_and_segments_split_at_the_image_spot(tmp_path_factory, image_root):
    from transformers import AutoModelForCausalLM

    from iitbench.models import load_model
    from tests.fixtures.tiny_lm import make_tiny_qwen2

    path = make_tiny_qwen2(tmp_path_factory.mktemp("laws_lm"))
    adapter = load_model(f"hf-causal:{path}", {"dtype": "float32"})
    requests = two_requests(image_root)
    results = attention_mass(adapter, requests, LawsOptions(batch_size=2))
    reference = AutoModelForCausalLM.from_pretrained(path, attn_implementation="eager").eval()
    tok = adapter.tokenizer
    for req, res in zip(requests, results):
        assert res.segments.excluded is None and IMAGE not in res.segments.labels
        ids = list(adapter.prefix_ids) + tok(adapter.render(req.messages), add_special_tokens=False)["input_ids"]
        before = tok.decode([t for t, lab in zip(ids, res.segments.labels) if lab == BEFORE])
        assert before == req.messages[0].parts[0].text
        assert tok.decode([t for t, lab in zip(ids, res.segments.labels) if lab == AFTER]).startswith(
            req.messages[0].parts[2].text)
        with torch.no_grad():
            att = reference(input_ids=torch.tensor([ids]), output_attentions=True).attentions
        expected = masses_from_weights([a[0] for a in att], res.segments.labels)
        torch.testing.assert_close(torch.tensor(res.masses, dtype=torch.float64), expected, rtol=1e-5, atol=1e-5)
