"""iitbench adapters around a model that is already in memory (the one a Trainer is training), not a checkpoint dir.

Each class subclasses the adapter that loads the same kind of model from disk and sets the attributes that adapter's
__init__ would set, from the live model and its tokenizer / processor: scoring, rendering and the LAWS backends
(registered by adapter class, found through the MRO) are the parent's own code. Nothing is copied or cast: the
adapter reads the training weights in place, in their dtype and on their device. The tests check that each gives the
same log-likelihoods and LAWS masses as the path-loaded adapter on the same checkpoint, which also catches drift when
a parent's __init__ gains an attribute.
"""

from __future__ import annotations

from typing import Any

from iitbench.errors import UserError
from iitbench.models import hf_common as hc
from iitbench.models.hf_causal import DEFAULT_WINDOW as CAUSAL_WINDOW
from iitbench.models.hf_causal import PLAIN_TEMPLATE as CAUSAL_PLAIN
from iitbench.models.hf_causal import HFCausalAdapter
from iitbench.models.hf_vlm import DEFAULT_WINDOW as VLM_WINDOW
from iitbench.models.hf_vlm import HFVLMAdapter
from iitbench.models.placement import input_device
from iitbench.models.prefix_share import TokenTally, supports_prefix_sharing
from iitbench.models.protocol import Adapter, Capabilities, answer_format_of
from iitbench.models.wings import WingsAdapter

IN_MEMORY = "<in-memory>"  # `path` of a live adapter: there is no directory (describe() hashes tensors instead)


def _dtype(model) -> Any:
    return getattr(model, "dtype", None) or next(model.parameters()).dtype


class LiveWingsAdapter(WingsAdapter):
    """`wings:` scoring and LAWS on a live WingsForConditionalGeneration and its WingsProcessor."""

    name = "wings-live"

    def __init__(self, model, processor, batch_size: int = 8, prefix_sharing: bool = True):
        self.path, self.device_map, self.use_cache = IN_MEMORY, None, True
        self.model, self.processor, self.batch_size = model, processor, batch_size
        self.device, self.dtype = input_device(model), _dtype(model)
        config = model.config
        self.mode = config.mode
        limit = config.text_config.max_position_embeddings
        if config.use_learners:  # the router's input width bounds the positions it can weigh (as WingsAdapter)
            limit = min(limit, config.router_width)
        if self.mode == "official":
            limit = min(limit, config.official_max_length)
        self.window = int(limit)
        self.capabilities = Capabilities(images=True, generate=True, attention=True, max_context=self.window,
                                         max_images=1 if self.mode == "official" else None,
                                         candidates=answer_format_of(config))
        self.prefix_sharing = prefix_sharing and supports_prefix_sharing(model)
        self.share_images = not (self.mode == "official" and config.use_learners)
        self.tally = TokenTally()


class LiveCausalAdapter(HFCausalAdapter):
    """`hf-causal:` scoring and LAWS on a live causal LM; the tokenizer's chat template, else the plain one."""

    name = "hf-causal-live"

    def __init__(self, model, tokenizer, batch_size: int = 8, prefix_sharing: bool = True):
        self.path, self.revision, self.device_map, self.truncation = IN_MEMORY, None, None, "left"
        self.model, self.tokenizer, self.batch_size = model, tokenizer, batch_size
        self.device, self.dtype = input_device(model), _dtype(model)
        has_template = bool(getattr(tokenizer, "chat_template", None))
        # A training run must not stop because its tokenizer has no template: the plain one is what
        # `--model-args plain_template=true` would give.
        self.template, self.template_kind = (self._pick_template(True, False) if has_template
                                             else (CAUSAL_PLAIN, "plain"))
        self.window = hc.config_window(model, CAUSAL_WINDOW, tokenizer)
        self.capabilities = Capabilities(images=False, generate=True, attention=True, max_context=self.window,
                                         candidates=answer_format_of(model.config))
        self.pad_id = self._pad_id()
        self.prefix_ids = self._prefix_ids()
        self.raw_prefix_ids = self._special_prefix()
        self.truncated_requests = 0
        self.prefix_sharing = prefix_sharing and supports_prefix_sharing(model)
        self.tally = TokenTally()


class LiveVLMAdapter(HFVLMAdapter):
    """`hf:` scoring and LAWS on a live image-text-to-text model and its processor (chat template, else plain)."""

    name = "hf-live"

    def __init__(self, model, processor, batch_size: int = 8, prefix_sharing: bool = True):
        from iitbench.models.hf_vlm_share import sharing_support

        self.path, self.revision, self.device_map, self.truncation = IN_MEMORY, None, None, "left"
        self.model, self.processor, self.tokenizer = model, processor, processor.tokenizer
        self.batch_size = batch_size
        self.device, self.dtype = input_device(model), _dtype(model)
        has_template = bool(getattr(processor, "chat_template", None) or getattr(self.tokenizer, "chat_template", None))
        self.template, self.template_kind = self._pick_template(not has_template)
        self.window = hc.config_window(model, VLM_WINDOW)
        self.capabilities = Capabilities(images=True, max_images=None, generate=True, attention=True,
                                         max_context=self.window, candidates=answer_format_of(model.config))
        self.pad_id = self._pad_id()
        self.truncated_requests = 0
        self.sharing_note = sharing_support(model) if prefix_sharing else None
        self.prefix_sharing = prefix_sharing and self.sharing_note is None
        self.tally = TokenTally()


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
        return LiveWingsAdapter(model, given, batch_size)
    if getattr(given, "image_processor", None) is not None:
        return LiveVLMAdapter(model, given, batch_size)
    return LiveCausalAdapter(model, getattr(given, "tokenizer", given), batch_size)


__all__ = ["IN_MEMORY", "LiveCausalAdapter", "LiveVLMAdapter", "LiveWingsAdapter", "live_adapter"]
