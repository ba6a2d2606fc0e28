"""`attention_mass(adapter, requests, options)`: LAWS masses from any adapter that supports them.

An adapter that implements `SupportsAttention.attention_mass` computes them itself (a plug-in with its own access to
attention). The built-in hf, hf-causal and wings adapters (and their subclasses) have backends here, registered by
class (`register_backend`): prepare samples, pick the backend, run the batches; they read only the adapters' public
attributes, so the dependency runs one way (laws -> models). Backends: `auto` = the attention-interface backend (HF
models) or WINGS' native head-summed path; `eager` = the eager reference (attention weights of the eager
implementation, reduced per layer)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from iitbench.errors import ModelError
from iitbench.laws.collect import run_batches
from iitbench.laws.eager import eager_forward
from iitbench.laws.hf_backend import interface_forward
from iitbench.laws.hf_inputs import causal_inputs, prepare_causal, prepare_vlm, vlm_inputs
from iitbench.laws.protocol import LawsOptions, LawsRequest, LawsResult
from iitbench.models.protocol import SupportsAttention


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



Backend = Callable[[Any, Sequence[LawsRequest], LawsOptions], list[LawsResult]]
# "module:QualName" of an adapter class -> its backend; names, so that no adapter module is imported to look up one.
BACKENDS: dict[str, Backend] = {
    "iitbench.models.hf_vlm:HFVLMAdapter": hf_vlm_attention_mass,
    "iitbench.models.hf_causal:HFCausalAdapter": hf_causal_attention_mass,
    "iitbench.models.wings:WingsAdapter": wings_attention_mass,
}


def register_backend(adapter_class: type | str, backend: Backend) -> None:
    """Give an adapter class (and its subclasses) a LAWS backend, e.g. one of the functions above."""
    key = adapter_class if isinstance(adapter_class, str) else f"{adapter_class.__module__}:{adapter_class.__qualname__}"
    BACKENDS[key] = backend


def backend_for(adapter) -> Backend | None:
    """The adapter's own `attention_mass`, else the backend registered for its class or nearest base class."""
    if isinstance(adapter, SupportsAttention):
        return lambda _adapter, requests, options: adapter.attention_mass(requests, options)
    for cls in type(adapter).__mro__:
        backend = BACKENDS.get(f"{cls.__module__}:{cls.__qualname__}")
        if backend is not None:
            return backend
    return None


def attention_mass(adapter, requests: Sequence[LawsRequest], options: LawsOptions) -> list[LawsResult]:
    """LAWS masses of `requests` from `adapter`; a one-line ModelError when it cannot expose its attention."""
    backend = backend_for(adapter) if adapter.capabilities.attention else None
    if backend is None:
        name = getattr(adapter, "spec", None) or type(adapter).__name__
        raise ModelError(f"--model {name}: this model cannot expose its attention (no LAWS); use a wings, hf or "
                         f"hf-causal model, or implement SupportsAttention.attention_mass")
    return backend(adapter, requests, options)
