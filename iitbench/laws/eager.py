"""The eager reference: the language model switched to `eager`, attention weights taken per layer and reduced at
once (forward hooks on the attention modules), so even the reference never keeps all layers' S x S maps.

These are the weights `output_attentions=True` returns (eager is the only implementation that returns weights; sdpa
gives an empty tuple), read from each attention module's own return value, so it also works for models (WINGS)
whose top-level forward does not collect them, and memory stays at one layer's [B, H, S, S].
"""

from __future__ import annotations

from typing import Any

from iitbench.errors import ModelError
from iitbench.laws.collect import ColumnMass
from iitbench.laws.hf_backend import switched_attention


def eager_forward(model, inputs: dict[str, Any], mass: ColumnMass) -> Any:
    with switched_attention(model, "eager") as modules:
        handles = []
        for layer, module in modules.items():
            def hook(_module, _args, output, layer=layer):
                weights = output[1] if isinstance(output, tuple) and len(output) > 1 else None
                if weights is None:
                    raise ModelError(f"LAWS eager reference: layer {layer} returned no attention weights")
                mass.add_weights(layer, weights)

            handles.append(module.register_forward_hook(hook))
        try:
            return model(**inputs)  # weights are reduced by the hooks, not collected for every layer
        finally:
            for h in handles:
                h.remove()
