"""Model adapters: the protocol, the one registry of names, and `load_model` for `--model NAME`.

A name is `NAME` or `NAME:PATH` (e.g. `hf-causal:./my-llm`); the part after the first colon is passed to the
adapter as `path=`. Plug-ins register under the entry-point group `iitbench.models`.
"""

from __future__ import annotations

from typing import Any

from iitbench.errors import ModelError
from iitbench.models.protocol import (
    Adapter,
    Capabilities,
    ChoiceRequest,
    ChoiceResult,
    GenerateRequest,
    GenerateResult,
    ImageRef,
    Message,
)
from iitbench.registry import Registry

MODELS: Registry[type[Adapter]] = Registry("model", entry_point_group="iitbench.models", base=Adapter)
MODELS.register("dummy", "iitbench.models.dummy:DummyAdapter")
MODELS.register("random", "iitbench.models.random_adapter:RandomAdapter")
MODELS.register("hf-causal", "iitbench.models.hf_causal:HFCausalAdapter")
MODELS.register("hf", "iitbench.models.hf_vlm:HFVLMAdapter")
MODELS.register("wings", "iitbench.models.wings:WingsAdapter")
MODELS.register("wings-base", "iitbench.models.wings:WingsBaseAdapter")
MODELS.register("base-tiny", "iitbench.models.zoo:BaseTiny")
MODELS.register("llava-tiny", "iitbench.models.zoo:LlavaTiny")
MODELS.register("wings-tiny", "iitbench.models.zoo:WingsTiny")


def parse_model_args(text: str | None) -> dict[str, Any]:
    """`k=v,k2=v2` -> dict; ints, floats and true/false/none are converted, everything else stays a string."""
    out: dict[str, Any] = {}
    if not text:
        return out
    for chunk in text.split(","):
        key, sep, raw = chunk.partition("=")
        key = key.strip()
        if not sep or not key or not key.isidentifier():
            raise ModelError(f"--model-args: {chunk!r} is not key=value; write e.g. --model-args dtype=float32,seed=1")
        if key in out:
            raise ModelError(f"--model-args: {key!r} is given twice")
        out[key] = _convert(raw.strip())
    return out


def _convert(raw: str) -> Any:
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for typ in (int, float):
        try:
            return typ(raw)
        except ValueError:
            pass
    return raw


def split_model_name(spec: str) -> tuple[str, dict[str, Any]]:
    """`hf-causal:./dir` -> ("hf-causal", {"path": "./dir"}); a plain name has no path."""
    name, sep, path = spec.partition(":")
    if sep and not path:
        raise ModelError(f"--model {spec!r}: nothing after ':'; write {name}:PATH_OR_HUB_ID")
    return name, ({"path": path} if sep else {})


def with_device(spec: str, model_args: dict[str, Any], device: str | None) -> dict[str, Any]:
    """`model_args` plus `device`, for adapters whose constructor takes one and were not given one already."""
    import inspect

    if device is None or "device" in model_args:
        return model_args
    params = inspect.signature(MODELS.get(split_model_name(spec)[0]).__init__).parameters
    if "device" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return {**model_args, "device": device}
    return model_args


def load_model(spec: str, model_args: dict[str, Any] | None = None) -> Adapter:
    """Build an adapter from `--model` and parsed `--model-args`."""
    name, extra = split_model_name(spec)
    cls = MODELS.get(name)
    args = {**extra, **(model_args or {})}
    if "path" in extra and "path" in (model_args or {}):
        raise ModelError(f"--model {spec!r} already names a path; drop path= from --model-args")
    try:
        adapter = cls(**args)
    except TypeError as e:
        raise ModelError(f"--model {spec}: bad --model-args for {cls.__name__}: {e}") from None
    adapter.init_args = args  # type: ignore[attr-defined]
    adapter.spec = spec  # type: ignore[attr-defined]
    return adapter


__all__ = ["MODELS", "Adapter", "Capabilities", "ChoiceRequest", "ChoiceResult", "GenerateRequest", "GenerateResult",
           "ImageRef", "Message", "load_model", "parse_model_args", "split_model_name", "with_device"]
