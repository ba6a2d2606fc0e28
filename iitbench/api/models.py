"""A model as the API takes it: a name/spec string with its arguments, or an adapter that is already loaded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iitbench.errors import ModelError
from iitbench.models.protocol import Adapter

ModelLike = str | Adapter


@dataclass(frozen=True)
class ResolvedModel:
    """The adapter plus the spec and arguments recorded in results files."""

    adapter: Adapter
    spec: str
    args: dict[str, Any]


def spec_of(model: ModelLike) -> str:
    """The name a model is recorded under: its spec string, or an adapter's `spec` / registry name / class name."""
    if isinstance(model, str):
        return model
    return getattr(model, "spec", None) or getattr(model, "name", "") or type(model).__name__


def model_args_of(model: str, model_args: str | dict[str, Any] | None, device: str | None) -> dict[str, Any]:
    """Parsed `k=v,...` (or a dict) plus `device` for adapters that take one; fails before anything loads."""
    from iitbench.models import parse_model_args, with_device

    args = parse_model_args(model_args) if isinstance(model_args, str) or model_args is None else dict(model_args)
    return with_device(model, args, device)


def resolve_model(model: ModelLike, model_args: str | dict[str, Any] | None = None,
                  device: str | None = None) -> ResolvedModel:
    """Load `model` (a spec such as "wings-tiny" or "hf-causal:DIR") or take an adapter instance as it is."""
    if isinstance(model, Adapter):
        if model_args:
            raise ModelError("model_args given with an adapter instance; pass them when constructing the adapter")
        return ResolvedModel(model, spec_of(model), dict(getattr(model, "init_args", {}) or {}))
    if not isinstance(model, str) or not model:
        raise ModelError(f"model {model!r}: give a model name (e.g. wings-tiny, hf-causal:DIR) or an Adapter")
    from iitbench.models import load_model

    args = model_args_of(model, model_args, device)
    return ResolvedModel(load_model(model, args), model, args)


__all__ = ["ModelLike", "ResolvedModel", "model_args_of", "resolve_model", "spec_of"]
