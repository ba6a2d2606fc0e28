"""The real family's start on the real SmolLM2-135M weights (converted once per session, tests/models/test_smollm2.py):
the assembled MLLM keeps SmolLM2's vocabulary, renders a text-only chat exactly as SmolLM2's own template does, and
gives SmolLM2's logits on it; a merge with SmolLM2 is accepted."""

from __future__ import annotations

import torch

from iitbench.merge import check_compatible
from iitbench.zoo import WEIGHTS_DIR
from iitbench.zoo.real import RealBase, RealRecipe, real_recipes
from iitbench.zoo.real_assemble import assemble, load_base_tokenizer, resolve_base
from tests.models.test_smollm2 import converted, real_gguf, smollm2_cache  # noqa: F401  (session fixtures)


def test_assembled_smollm2_keeps_its_vocabulary_prompt_and_text_logits(smollm2_cache, monkeypatch, tmp_path):
    from transformers import AutoModelForCausalLM

    from wings_ref import WingsForConditionalGeneration
    from wings_ref.processing_wings import WingsProcessor

    monkeypatch.setenv("IITBENCH_CACHE", str(smollm2_cache))
    recipe = next(r for r in real_recipes().values() if isinstance(r, RealRecipe))
    base = resolve_base(RealBase(), tmp_path)
    out = assemble(base, WEIGHTS_DIR / "siglip-tiny", tmp_path / "init", recipe.router_width, 0)
    tokenizer = load_base_tokenizer(base)
    model = WingsForConditionalGeneration.from_pretrained(out).eval()
    assert model.config.text_config.vocab_size == len(tokenizer) == 49152
    assert model.config.image_token_id == tokenizer.convert_tokens_to_ids("<empty_output>")
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    ours = WingsProcessor.from_pretrained(out).apply_chat_template(messages, tokenize=True)
    theirs = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
    theirs = theirs["input_ids"] if isinstance(theirs, dict) or hasattr(theirs, "keys") else theirs
    assert ours == list(theirs)
    llm = AutoModelForCausalLM.from_pretrained(base.folder).eval()
    ids = torch.tensor([ours])
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, llm(ids).logits, rtol=0, atol=1e-4)
    check_compatible(out, base.folder)  # the merge's architecture and vocabulary check passes
