"""The predictors' mathematics on synthetic inputs: CKA (both routes, invariances), KL/JS, vocabulary relations,
the LLM-name mapping and the weight drift."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import softmax
from scipy.stats import entropy

from iitbench.diagnose.cka import linear_cka
from iitbench.diagnose.divergence import divergences, vocab_relation
from iitbench.diagnose.options import NotComputable
from iitbench.diagnose.weights import ModuleWeights, canonical, weight_drift


def _hsic_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Kornblith et al.'s definition through the centring matrix H: tr(KHLH) / sqrt(tr(KHKH) tr(LHLH))."""
    n = len(x)
    h = np.eye(n) - 1.0 / n
    k, l_ = x @ x.T, y @ y.T
    return float(np.trace(k @ h @ l_ @ h) / math.sqrt(np.trace(k @ h @ k @ h) * np.trace(l_ @ h @ l_ @ h)))


def test_cka_routes_equal_the_definition_and_its_invariances():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 12))
    y = x[:, :7] @ rng.normal(size=(7, 9)) + 0.5 * rng.normal(size=(40, 9))
    want = _hsic_cka(x, y)
    chunks = [slice(0, 13), slice(13, 30), slice(30, 40)]
    for route in ("gram", "features"):
        assert linear_cka([x[s] for s in chunks], [y[s] for s in chunks], route) == pytest.approx(want, abs=1e-12)
    q, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    assert linear_cka([x], [3.0 * x @ q + 7.0], "features") == pytest.approx(1.0, abs=1e-12)
    assert linear_cka([x], [rng.normal(size=(40, 12))]) < 0.6  # unrelated states
    assert math.isnan(linear_cka([x], [np.ones((40, 3))]))  # no variance: undefined, not 0 or 1


def test_divergences_equal_scipy_and_stay_in_range():
    rng = np.random.default_rng(1)
    mllm, base = rng.normal(size=(5, 30)) * 3, rng.normal(size=(5, 30)) * 3
    got = divergences(mllm.astype(np.float32), base.astype(np.float32))
    for i in range(5):
        p = softmax(base[i].astype(np.float32).astype(np.float64))
        q = softmax(mllm[i].astype(np.float32).astype(np.float64))
        m = (p + q) / 2
        assert got["kl"][i] == pytest.approx(entropy(p, q), rel=1e-10)
        assert got["kl_reverse"][i] == pytest.approx(entropy(q, p), rel=1e-10)
        assert got["js"][i] == pytest.approx((entropy(p, m) + entropy(q, m)) / 2, rel=1e-10)
    same = divergences(base, base)
    assert np.all(same["kl"] == 0) and np.all(same["js"] < 1e-15)
    far = divergences(np.array([[50.0, -50.0]]), np.array([[-50.0, 50.0]]))
    assert far["js"][0] == pytest.approx(math.log(2), rel=1e-9) and far["js"][0] <= math.log(2)


def test_an_extended_vocabulary_gives_the_base_zero_probability_on_the_added_ids():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(3, 20))
    mllm = np.concatenate([base, np.full((3, 2), -3.0)], axis=1)  # two added ids with a little mass
    got = divergences(mllm, base)
    mass = softmax(mllm, axis=1)[:, 20:].sum(1)
    assert np.allclose(got["kl"], -np.log1p(-mass), rtol=1e-10)  # KL(p || q) with q = p (1 - mass) on base ids
    assert np.all(np.isnan(got["kl_reverse"]))


def test_vocab_relation_names_the_first_difference():
    base = {"a": 0, "b": 1, "c": 2}
    assert vocab_relation(dict(base), base, 3, 3)["relation"] == "identical"
    assert vocab_relation({**base, "<image>": 3}, base, 4, 3)["relation"] == "mllm extends base"
    with pytest.raises(NotComputable, match=r"base token 'b' \(id 1\) has id 2 in the MLLM's"):
        vocab_relation({"a": 0, "b": 2, "c": 1}, base, 3, 3)
    with pytest.raises(NotComputable, match="output layer has 5 ids"):
        vocab_relation(dict(base), base, 3, 5)


@pytest.mark.parametrize("names", [
    ["model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.1.mlp.up_proj.weight",
     "model.norm.weight", "lm_head.weight"],  # Qwen2 / Llama, WINGS
    ["model.language_model.embed_tokens.weight", "model.language_model.layers.0.mlp.up_proj.weight",
     "model.language_model.layers.1.mlp.up_proj.weight", "model.language_model.norm.weight", "lm_head.weight",
     "model.vision_tower.encoder.layers.0.fc.weight", "model.vision_tower.encoder.layers.1.fc.weight"],  # HF LLaVA
    ["language_model.model.embed_tokens.weight", "language_model.model.layers.0.mlp.up_proj.weight",
     "language_model.model.layers.1.mlp.up_proj.weight", "language_model.model.norm.weight",
     "language_model.lm_head.weight", "multi_modal_projector.linear_1.weight"],  # older LLaVA checkpoint files
])
def test_llm_names_map_to_one_canonical_form(names):
    """The decoder stack is found by its layer count, vision stacks with as many layers are skipped."""
    mapped = canonical(names, n_layers=2)
    llm = {k for k in mapped if not k.startswith("[outside]") and not k.startswith("vision")}
    assert llm == {"embed_tokens.weight", "layers.0.mlp.up_proj.weight", "layers.1.mlp.up_proj.weight",
                   "norm.weight", "lm_head.weight"}


def test_a_gpt2_style_stack_is_found_too():
    mapped = canonical(["transformer.wte.weight", "transformer.h.0.attn.c_attn.weight",
                        "transformer.h.1.attn.c_attn.weight", "lm_head.weight"], n_layers=2)
    assert set(mapped) == {"wte.weight", "h.0.attn.c_attn.weight", "h.1.attn.c_attn.weight", "lm_head.weight"}


def _lm(hidden: int = 8, layers: int = 2, vocab: int = 10, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    m = torch.nn.Module()
    m.model = torch.nn.Module()
    m.model.embed_tokens = torch.nn.Embedding(vocab, hidden)
    m.model.layers = torch.nn.ModuleList(torch.nn.Linear(hidden, hidden) for _ in range(layers))
    return m


def test_weight_drift_values_extension_and_refusals():
    base = _lm()
    mllm = _lm(vocab=12)
    with torch.no_grad():
        for name, p in base.state_dict().items():
            if name != "model.embed_tokens.weight":
                mllm.state_dict()[name].copy_(p * 1.1)  # every layer tensor 10% larger
        mllm.model.embed_tokens.weight[:10] = base.model.embed_tokens.weight
    found = weight_drift(ModuleWeights(mllm), ModuleWeights(base), 2, 2, base_tied=False)
    assert found["per_layer"] == pytest.approx([0.1, 0.1], rel=1e-6)  # p * 1.1 rounded to fp32
    emb = next(r for r in found["parameters"] if r["name"] == "embed_tokens.weight")
    assert emb["diff_norm"] == 0.0  # the two added rows are the MLLM's own, not drift
    with pytest.raises(NotComputable, match=r"the architectures differ: embed_tokens.weight is \(10, 8\) in the base and \(10, 6\)"):
        weight_drift(ModuleWeights(_lm(hidden=6)), ModuleWeights(base), 2, 2, base_tied=False)
    with pytest.raises(NotComputable, match="MLLM's LLM has 3 decoder layers, the base 2"):
        weight_drift(ModuleWeights(_lm(layers=3)), ModuleWeights(base), 3, 2, base_tied=False)
