"""The attention-interface backend (and the eager backend) against transformers' own eager `output_attentions`."""

from __future__ import annotations

import pytest
import torch

from iitbench.laws.collect import ColumnMass
from iitbench.laws.extract import attention_mass
from iitbench.laws.hf_backend import interface_forward
from iitbench.laws.hf_inputs import prepare_vlm, vlm_inputs
from iitbench.laws.protocol import IMAGE, LawsOptions
from tests.laws.helpers import masses_from_weights, two_requests

_REF: dict[str, object] = {}


def reference_model(path):
    from transformers import AutoModelForImageTextToText

    if str(path) not in _REF:
        _REF[str(path)] = AutoModelForImageTextToText.from_pretrained(path, attn_implementation="eager").eval()
    return _REF[str(path)]


def reference_attentions(adapter, path, messages):
    prompt = adapter.render(messages)
    images = adapter.images(messages)
    inputs = adapter.processor(text=[prompt], images=[list(images)], add_special_tokens=False, return_tensors="pt")
    with torch.no_grad():
        out = reference_model(path)(**inputs, output_attentions=True)
    return [a[0] for a in out.attentions]


@pytest.mark.parametrize("backend", ["auto", "eager"])
@pytest.mark.parametrize("family", ["gemma3", "idefics3", "llava", "qwen2_vl"])
def test_padded_batch_masses_equal_unpadded_output_attentions(family, backend, vlm_adapter, vlm_dirs, image_root):
    adapter = vlm_adapter(family)
    requests = two_requests(image_root)
    results = attention_mass(adapter, requests, LawsOptions(batch_size=2, backend=backend))
    n_layers = adapter.model.config.get_text_config().num_hidden_layers
    for req, res in zip(requests, results):
        assert res.segments.excluded is None
        attentions = reference_attentions(adapter, vlm_dirs[family], req.messages)
        assert len(attentions) == n_layers and attentions[0].shape[-1] == len(res.segments.labels)
        expected = masses_from_weights(attentions, res.segments.labels)
        torch.testing.assert_close(torch.tensor(res.masses, dtype=torch.float64), expected, rtol=1e-5, atol=1e-5)


def test_gemma3_reference_has_bidirectional_image_block_and_sliding_window(vlm_adapter, vlm_dirs, image_root):
    """Guards the Gemma3 case above: the reference really uses both special masks."""
    adapter = vlm_adapter("gemma3")
    req = two_requests(image_root)[1]
    labels = attention_mass(adapter, [req], LawsOptions())[0].segments.labels
    att = reference_attentions(adapter, vlm_dirs["gemma3"], req.messages)
    image = [i for i, lab in enumerate(labels) if lab == IMAGE]
    assert att[1][:, image[0], image[-1]].abs().sum() > 0  # an image token sees a later image token
    window = adapter.model.config.get_text_config().sliding_window
    last = len(labels) - 1
    assert att[0][:, last, : last - window].abs().sum() == 0 < att[1][:, last, : last - window].abs().sum()


@pytest.mark.parametrize("family", ["gemma3", "llava", "qwen2_vl"])
def test_model_logits_are_unchanged_while_extracting(family, vlm_adapter, image_root):
    adapter = vlm_adapter(family)
    rows = prepare_vlm(adapter, two_requests(image_root), LawsOptions())
    inputs = {k: v for k, v in vlm_inputs(adapter, rows).items() if k != "logits_to_keep"}
    with torch.no_grad():
        plain = adapter.model(**inputs).logits
        mass = ColumnMass(adapter.model.config.get_text_config().num_hidden_layers, inputs["attention_mask"], "sum")
        extracting = interface_forward(adapter.model, inputs, mass).logits
        after = adapter.model(**inputs).logits
    assert torch.equal(plain, extracting) and torch.equal(plain, after)
    assert mass.cols.abs().sum() > 0
    assert adapter.model.config.get_text_config()._attn_implementation == "sdpa"  # switched back


def test_head_mean_is_sum_over_heads_and_per_query_norm_divides_by_queries(vlm_adapter, image_root):
    adapter = vlm_adapter("llava")
    requests = two_requests(image_root)
    heads = adapter.model.config.get_text_config().num_attention_heads
    summed = attention_mass(adapter, requests, LawsOptions())
    mean = attention_mass(adapter, requests, LawsOptions(head_reduction="mean", per_query_norm=True))
    for s, m in zip(summed, mean):
        expected = torch.tensor(s.masses) / heads / s.n_queries
        torch.testing.assert_close(torch.tensor(m.masses), expected, rtol=1e-6, atol=1e-9)
        assert s.n_queries == len(s.segments.labels)


def test_small_query_blocks_give_the_same_masses(vlm_adapter, image_root):
    adapter = vlm_adapter("gemma3")
    requests = two_requests(image_root)
    whole = attention_mass(adapter, requests, LawsOptions(batch_size=2))
    blocks = attention_mass(adapter, requests, LawsOptions(batch_size=2, block_size=3))
    for a, b in zip(whole, blocks):
        torch.testing.assert_close(torch.tensor(a.masses), torch.tensor(b.masses), rtol=1e-6, atol=1e-6)
