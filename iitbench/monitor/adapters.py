"""The iitbench adapter for a model that is already in memory (the one a Trainer is training), not a checkpoint dir.

Each adapter's `from_model` constructor derives everything from the live model and its tokenizer / processor through
the same code its path constructor uses (`_adopt`): scoring, rendering and the LAWS backends are the adapter's own.
Nothing is copied or cast: the training weights are read in place, in their dtype and on their device. The tests check
that each gives the same log-likelihoods and LAWS masses as the path-loaded adapter on the same checkpoint.
"""

from __future__ import annotations

from iitbench.errors import UserError
from iitbench.models.hf_causal import HFCausalAdapter
from iitbench.models.hf_vlm import HFVLMAdapter
from iitbench.models.placement import IN_MEMORY
from iitbench.models.protocol import Adapter
from iitbench.models.wings import WingsAdapter


def live_adapter(model, processing_class=None, processor=None, batch_size: int = 8) -> Adapter:
    """The adapter for a live model: WINGS (a WingsProcessor is built from the tokenizer and the model's config when
    none is given), an HF VLM (its processor has an image processor) or a plain causal LM (a tokenizer)."""
    from wings_ref import WingsForConditionalGeneration
    from wings_ref.processing_wings import WingsProcessor

    given = processor if processor is not None else processing_class
    if given is None:
        raise UserError("forgetting monitor: no tokenizer/processor; pass processing_class to the Trainer or "
                        "processor= to ForgettingMonitor")
    if isinstance(model, WingsForConditionalGeneration):
        if not isinstance(given, WingsProcessor):
            given = WingsProcessor.from_config(getattr(given, "tokenizer", given), model.config)
        return WingsAdapter.from_model(model, given, batch_size)
    if getattr(given, "image_processor", None) is not None:
        return HFVLMAdapter.from_model(model, given, batch_size)
    # A training run must not stop because its tokenizer has no chat template: the plain one is what
    # `--model-args plain_template=true` would give.
    return HFCausalAdapter.from_model(model, getattr(given, "tokenizer", given), batch_size)


__all__ = ["IN_MEMORY", "live_adapter"]
