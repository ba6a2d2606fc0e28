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
MODELS.register("smollm2-135m", "iitbench.models.smollm2:SmolLM2")


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


_SIMPLE = {int: "an integer", float: "a number", bool: "true or false", str: "a string", type(None): "none"}


def _annotation(cls: type, name: str) -> Any:
    """The type annotation of constructor argument `name` in `cls` or the nearest base class that declares it."""
    import inspect
    import typing

    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        try:
            declared = init is not None and name in inspect.signature(init).parameters
        except (TypeError, ValueError):  # builtins without a signature
            declared = False
        if declared:
            try:
                return typing.get_type_hints(init).get(name)
            except Exception:  # noqa: BLE001 - unresolvable annotations: nothing to check
                return None
    return None


def _fits(value: Any, kind: type) -> bool:
    if kind is bool or isinstance(value, bool):
        return kind is bool and isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def check_model_args(cls: type, args: dict[str, Any]) -> dict[str, Any]:
    """`--model-args` checked against the adapter's constructor annotations (int, float, bool, str, X | None), the
    same way for every adapter: a wrong type is a one-line ModelError naming the argument, not a traceback. A number
    given where only a string fits becomes that string (`reply=1`)."""
    import types
    import typing

    out = dict(args)
    for key, value in args.items():
        hint = _annotation(cls, key)
        kinds = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
        if hint is None or not all(k in _SIMPLE for k in kinds) or any(_fits(value, k) for k in kinds):
            continue
        if str in kinds and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = str(value)
            continue
        wanted = " or ".join(_SIMPLE[k] for k in kinds)
        raise ModelError(f"--model-args {key}={value!r}: {getattr(cls, 'name', '') or cls.__name__} takes {wanted} "
                         f"for {key}")
    return out


def load_model(spec: str, model_args: dict[str, Any] | None = None) -> Adapter:
    """Build an adapter from `--model` and parsed `--model-args`."""
    name, extra = split_model_name(spec)
    cls = MODELS.get(name)
    args = {**extra, **(model_args or {})}
    if "path" in extra and "path" in (model_args or {}):
        raise ModelError(f"--model {spec!r} already names a path; drop path= from --model-args")
    args = check_model_args(cls, args)
    import inspect

    try:  # a TypeError from inside the constructor is a bug, not bad arguments: only the binding is checked here
        inspect.signature(cls).bind(**args)
    except TypeError as e:
        raise ModelError(f"--model {spec}: bad --model-args for {cls.__name__}: {e}") from None
    adapter = cls(**args)
    adapter.init_args = args  # type: ignore[attr-defined]
    adapter.spec = spec  # type: ignore[attr-defined]
    return adapter


__all__ = ["MODELS", "Adapter", "Capabilities", "ChoiceRequest", "ChoiceResult", "GenerateRequest", "GenerateResult",
           "ImageRef", "Message", "check_model_args", "load_model", "parse_model_args", "split_model_name", "with_device"]
