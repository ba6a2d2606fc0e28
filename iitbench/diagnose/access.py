"""What diagnose reads of a model, through the adapters' public attributes only (`model`, `tokenizer`, `processor`,
`render`, `images`, `device`, `prefix_ids`, `raw_prefix_ids`, `pad_id`, `window`, `path`), as `iitbench.laws` does.

Adapters are recognised by class (and subclasses), by name so that no adapter module is imported to look one up:
`causal` (hf-causal, base-tiny, smollm2), `wings` (wings:, wings-tiny, llava-tiny, wings-base) and `vlm` (hf:).
Hidden states are taken with forward hooks on the LLM's decoder layers (`LayerTap`): each layer's output is reduced
to what a predictor keeps (one vector per item, or a cosine per sample) while the forward runs, so no batch ever
holds all layers' S x d states, and WINGS (whose forward has no `output_hidden_states`) works like any HF model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from iitbench.errors import ModelError

FAMILIES = {
    "iitbench.models.hf_causal:HFCausalAdapter": "causal",
    "iitbench.models.wings:WingsAdapter": "wings",
    "iitbench.models.hf_vlm:HFVLMAdapter": "vlm",
}
# Module or parameter names of the vision side: never the LLM's decoder stack.
_VISION = re.compile(r"vision|visual|image|img|audio|siglip|clip", re.IGNORECASE)


def family_of(adapter, role: str) -> str:
    for cls in type(adapter).__mro__:
        family = FAMILIES.get(f"{cls.__module__}:{cls.__qualname__}")
        if family is not None:
            return family
    name = getattr(adapter, "spec", None) or getattr(adapter, "name", None) or type(adapter).__name__
    raise ModelError(f"--{role} {name}: diagnose reads weights and hidden states, which only the hf-causal, hf and "
                     f"wings adapters (and the zoo) expose; use one of those")


def text_config(model) -> Any:
    config = model.config
    return config.get_text_config() if hasattr(config, "get_text_config") else config


@dataclass(frozen=True)
class ModelInfo:
    """What the predictors need to know about one loaded model (recorded in diagnose.json)."""

    family: str
    n_layers: int
    hidden_size: int
    layers_prefix: str  # qualified name of the decoder-layer list, e.g. "model.layers"
    tied_embeddings: bool

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family, "n_layers": self.n_layers, "hidden_size": self.hidden_size,
                "layers_prefix": self.layers_prefix, "tied_embeddings": self.tied_embeddings}


def decoder_layers(model) -> tuple[str, torch.nn.ModuleList]:
    """The LLM's decoder layers: the shortest-named ModuleList with `num_hidden_layers` entries outside the vision
    side (`model.layers` for Qwen2/Llama and WINGS, `model.language_model.layers` for transformers' LLaVA)."""
    n = int(text_config(model).num_hidden_layers)
    found = [(name, m) for name, m in model.named_modules()
             if isinstance(m, torch.nn.ModuleList) and len(m) == n and name and not _VISION.search(name)]
    if not found:
        raise ModelError(f"{type(model).__name__}: no list of {n} decoder layers found; diagnose cannot read its "
                         f"hidden states")
    return min(found, key=lambda f: (len(f[0]), f[0]))


def model_info(adapter, family: str) -> ModelInfo:
    model = adapter.model
    config = text_config(model)
    prefix, _ = decoder_layers(model)
    tied = bool(getattr(model.config, "tie_word_embeddings", False) or getattr(config, "tie_word_embeddings", False))
    return ModelInfo(family=family, n_layers=int(config.num_hidden_layers), hidden_size=int(config.hidden_size),
                     layers_prefix=prefix, tied_embeddings=tied)


def tokenizer_of(adapter, family: str):
    return adapter.processor.tokenizer if family == "wings" else adapter.tokenizer


class LayerTap:
    """Forward hooks on every decoder layer calling `reduce(layer_index, hidden [B, S, d])` as each layer finishes;
    the hidden states are not kept. Use as a context manager around the forward; `seen` checks every layer ran."""

    def __init__(self, model, reduce: Callable[[int, torch.Tensor], None]):
        _, self.layers = decoder_layers(model)
        self.reduce = reduce
        self.handles: list[Any] = []
        self.seen: set[int] = set()

    def _hook(self, index: int):
        def hook(_module, _inputs, output):
            hidden = output[0] if isinstance(output, (tuple, list)) else output
            self.reduce(index, hidden)
            self.seen.add(index)
        return hook

    def __enter__(self) -> LayerTap:
        self.handles = [layer.register_forward_hook(self._hook(i)) for i, layer in enumerate(self.layers)]
        return self

    def __exit__(self, *exc) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []

    def check(self) -> None:
        missing = sorted(set(range(len(self.layers))) - self.seen)
        if missing:
            raise RuntimeError(f"decoder layers {missing} did not run in the forward pass")
        self.seen = set()


__all__ = ["FAMILIES", "LayerTap", "ModelInfo", "decoder_layers", "family_of", "model_info", "text_config",
           "tokenizer_of"]
