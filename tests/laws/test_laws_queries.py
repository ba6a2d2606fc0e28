"""`--queries after-image | answer`: the summed query rows restricted, still exact against eager `output_attentions`
(HF VLMs, both backends), WINGS' full head-summed maps and a base LLM; sinks, block skipping, names and errors."""

from __future__ import annotations

import pytest
import torch

from iitbench.errors import UserError
from iitbench.laws.extract import attention_mass
from iitbench.laws.protocol import AFTER, IMAGE, SINK, LawsOptions
from iitbench.models.protocol import GenerateRequest
from tests.laws.helpers import masses_from_weights, two_requests
from tests.laws.test_laws_hf_backend import reference_attentions
from tests.models.hf_vlm_fixtures import one_torch_thread  # noqa: F401  (autouse: tiny models on a busy machine)


def _first_query(labels, queries: str) -> int:
    """Written out here, not taken from iitbench.laws: the first V_after token, or the last token."""
    return labels.index(AFTER) if queries == "after-image" else len(labels) - 1


def _check(res, layers, queries: str) -> None:
    labels = res.segments.labels
    first = _first_query(labels, queries)
    if IMAGE in labels:  # these rows see V_before, the whole image and V_after
        assert first > max(i for i, lab in enumerate(labels) if lab == IMAGE)
    assert res.n_queries == len(labels) - first
    expected = masses_from_weights(layers, labels, first)
    torch.testing.assert_close(torch.tensor(res.masses, dtype=torch.float64), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("queries", ["after-image", "answer"])
@pytest.mark.parametrize("family,backend", [("llava", "auto"), ("llava", "eager"), ("gemma3", "auto"),
                                            ("qwen2_vl", "auto")])
def test_restricted_queries_equal_those_rows_of_output_attentions(family, backend, queries, vlm_adapter, vlm_dirs,
                                                                  image_root):
    adapter = vlm_adapter(family)
    requests = two_requests(image_root)
    results = attention_mass(adapter, requests, LawsOptions(batch_size=2, backend=backend, queries=queries))
    for req, res in zip(requests, results):
        assert res.segments.excluded is None
        _check(res, reference_attentions(adapter, vlm_dirs[family], req.messages), queries)


@pytest.mark.parametrize("queries", ["after-image", "answer"])
def test_wings_restricted_queries_equal_rows_of_its_full_maps(queries, wings_adapter, image_root):
    requests = two_requests(image_root)
    for req, res in zip(requests, attention_mass(wings_adapter, requests, LawsOptions(batch_size=2, queries=queries))):
        _check(res, list(wings_adapter.head_summed_attention(GenerateRequest(req.key, req.messages)).layers), queries)


def test_base_llm_after_image_starts_where_the_text_after_the_image_starts(tmp_path_factory, image_root):
    from transformers import AutoModelForCausalLM

    from iitbench.models import load_model
    from tests.fixtures.tiny_lm import make_tiny_qwen2

    path = make_tiny_qwen2(tmp_path_factory.mktemp("laws_queries_lm"))
    adapter = load_model(f"hf-causal:{path}", {"dtype": "float32"})
    reference = AutoModelForCausalLM.from_pretrained(path, attn_implementation="eager").eval()
    requests = two_requests(image_root)
    for req, res in zip(requests, attention_mass(adapter, requests, LawsOptions(batch_size=2, queries="after-image"))):
        ids = list(adapter.prefix_ids) + adapter.tokenizer(adapter.render(req.messages),
                                                           add_special_tokens=False)["input_ids"]
        first = _first_query(res.segments.labels, "after-image")
        assert adapter.tokenizer.decode(ids[first:]).startswith(req.messages[0].parts[2].text)
        with torch.no_grad():
            att = reference(input_ids=torch.tensor([ids]), output_attentions=True).attentions
        _check(res, [a[0] for a in att], "after-image")


def test_sinks_are_found_from_every_row_whichever_rows_are_summed(wings_adapter, image_root):
    """A token is a sink for the model, not for the summed rows: labels equal the paper definition's, and excluding
    them only moves mass between labels."""
    requests = two_requests(image_root)
    paper = attention_mass(wings_adapter, requests, LawsOptions(sinks="exclude"))
    for queries in ("after-image", "answer"):
        kept = attention_mass(wings_adapter, requests, LawsOptions(queries=queries))
        dropped = attention_mass(wings_adapter, requests, LawsOptions(queries=queries, sinks="exclude"))
        for p, k, d in zip(paper, kept, dropped):
            assert d.segments.labels == p.segments.labels and SINK in d.segments.labels
            torch.testing.assert_close(torch.tensor(d.masses).sum(0), torch.tensor(k.masses).sum(0))


@pytest.mark.parametrize("queries", ["after-image", "answer"])
def test_skipped_query_blocks_and_per_query_norm(queries, vlm_adapter, image_root):
    adapter = vlm_adapter("gemma3")
    requests = two_requests(image_root)
    whole = attention_mass(adapter, requests, LawsOptions(batch_size=2, queries=queries))
    blocks = attention_mass(adapter, requests, LawsOptions(batch_size=2, block_size=3, queries=queries))
    normed = attention_mass(adapter, requests, LawsOptions(queries=queries, per_query_norm=True))
    for w, b, n in zip(whole, blocks, normed):
        torch.testing.assert_close(torch.tensor(w.masses), torch.tensor(b.masses), rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(torch.tensor(n.masses), torch.tensor(w.masses) / w.n_queries, rtol=1e-6,
                                   atol=1e-9)
        heads = adapter.model.config.get_text_config().num_attention_heads
        assert sum(sum(m) for m in w.masses) == pytest.approx(heads * w.n_queries * len(w.masses[0]), rel=1e-5)


def test_variant_names_keep_the_study_names_and_add_the_queries():
    from iitbench.study.config import LawsVariant

    for seg, sinks, heads, pq in [("content", "include", "sum", False), ("all-text", "exclude", "mean", True)]:
        old = LawsVariant(segments=seg, sinks=sinks, head_reduction=heads, per_query_norm=pq).key
        assert LawsOptions(segments=seg, sinks=sinks, head_reduction=heads, per_query_norm=pq).variant == old
    assert LawsOptions(queries="after-image").variant == "content-include-sum-after"
    assert LawsOptions(segments="all-text", queries="answer", per_query_norm=True).variant == \
        "all-text-include-sum-pq-answer"
    with pytest.raises(UserError, match="--queries 'before'"):
        LawsOptions(queries="before")
