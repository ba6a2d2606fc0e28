"""`attention_mass` for the built-in adapters (their methods delegate here): prepare samples, pick the backend,
run the batches. Backends: `auto` = the attention-interface backend (HF models) or WINGS' native head-summed path;
`eager` = the eager reference (attention weights of the eager implementation, reduced per layer)."""

from __future__ import annotations

from collections.abc import Sequence

from iitbench.laws.collect import run_batches
from iitbench.laws.eager import eager_forward
from iitbench.laws.hf_backend import interface_forward
from iitbench.laws.hf_inputs import causal_inputs, prepare_causal, prepare_vlm, vlm_inputs
from iitbench.laws.protocol import LawsOptions, LawsRequest, LawsResult


def _n_layers(model) -> int:
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    return int(config.num_hidden_layers)


def hf_vlm_attention_mass(adapter, requests: Sequence[LawsRequest], options: LawsOptions) -> list[LawsResult]:
    forward = eager_forward if options.backend == "eager" else interface_forward
    return run_batches(prepare_vlm(adapter, requests, options), options, _n_layers(adapter.model),
                       lambda rows: vlm_inputs(adapter, rows), lambda inputs, mass: forward(adapter.model, inputs, mass))


def hf_causal_attention_mass(adapter, requests: Sequence[LawsRequest], options: LawsOptions) -> list[LawsResult]:
    forward = eager_forward if options.backend == "eager" else interface_forward
    return run_batches(prepare_causal(adapter, requests, options), options, _n_layers(adapter.model),
                       lambda rows: causal_inputs(adapter, rows),
                       lambda inputs, mass: forward(adapter.model, inputs, mass))


def wings_attention_mass(adapter, requests: Sequence[LawsRequest], options: LawsOptions) -> list[LawsResult]:
    from iitbench.laws.wings_backend import native_forward, prepare_wings, wings_inputs

    forward = eager_forward if options.backend == "eager" else native_forward
    return run_batches(prepare_wings(adapter, requests, options), options, _n_layers(adapter.model),
                       lambda rows: wings_inputs(adapter, rows), lambda inputs, mass: forward(adapter.model, inputs, mass))


def attention_mass(adapter, requests: Sequence[LawsRequest], options: LawsOptions) -> list[LawsResult]:
    """LAWS masses of `requests` from `adapter`."""
    return adapter.attention_mass(requests, options)
