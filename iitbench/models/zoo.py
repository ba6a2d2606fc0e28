"""`base-tiny`, `llava-tiny`, `wings-tiny`: the zoo's shipped models under plain names.

Each is the generic adapter (`hf-causal` / `wings`) with `path` defaulting to `iitbench/zoo/weights/<name>/`; when those
weights are not built, loading fails with one line that says how to build them. Their configs carry
`answer_format: "text"` (the zoo answers with the option text), which the generic adapters read.

They live here, with the other built-in adapters, and take only `WEIGHTS_DIR` from the zoo (iitbench/zoo/__init__.py,
which imports nothing), never its training code.
"""

from __future__ import annotations

from pathlib import Path

from iitbench.errors import ModelError
from iitbench.models.hf_causal import HFCausalAdapter
from iitbench.models.wings import WingsAdapter


def weights_root() -> Path:
    """The shipped zoo weights directory, `iitbench.zoo.WEIGHTS_DIR` (a function, so tests can point it elsewhere)."""
    from iitbench.zoo import WEIGHTS_DIR

    return WEIGHTS_DIR


def zoo_path(name: str, path: str | None) -> str:
    if path is not None:
        return path
    here = weights_root() / name
    if not (here / "config.json").is_file() or not any(here.glob("*.safetensors")):
        raise ModelError(f"zoo model {name}: no weights in {here}; run `iitbench zoo build --only {name}`")
    return str(here)


class BaseTiny(HFCausalAdapter):
    """The zoo's text-only base LLM (Qwen2 architecture, trained from scratch on IIT-synth's train split)."""

    name = "base-tiny"

    def __init__(self, path: str | None = None, **kwargs):
        super().__init__(zoo_path("base-tiny", path), **kwargs)


class LlavaTiny(WingsAdapter):
    """base-tiny + siglip-tiny trained with the naive LLaVA recipe (no learners, full fine-tune at a high LR)."""

    name = "llava-tiny"

    def __init__(self, path: str | None = None, **kwargs):
        super().__init__(zoo_path("llava-tiny", path), **kwargs)


class WingsTiny(WingsAdapter):
    """base-tiny + siglip-tiny trained with the two WINGS stages (learners + router, low LLM learning rate)."""

    name = "wings-tiny"

    def __init__(self, path: str | None = None, **kwargs):
        super().__init__(zoo_path("wings-tiny", path), **kwargs)


__all__ = ["BaseTiny", "LlavaTiny", "WingsTiny", "weights_root", "zoo_path"]
