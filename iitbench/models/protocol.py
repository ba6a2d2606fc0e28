"""The adapter protocol: typed requests in, typed results out, batched.

A model joins iitbench by subclassing `Adapter` and implementing `score_choices` (and `generate` if it can).
`iitbench.models.dummy` is the complete, minimal example. The runner never formats model-specific prompts:
it hands over structured messages, and the adapter applies its own chat template.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, Union, runtime_checkable

from iitbench.data.images import load_image
from iitbench.data.types import TextPart


@dataclass(frozen=True)
class ImageRef:
    """An image of a dataset, loaded on demand (validated, RGB) with `load()`."""

    root: Path
    path: str

    def load(self):
        return load_image(self.root, self.path)


MessagePart = Union[TextPart, ImageRef]


@dataclass(frozen=True)
class Message:
    """One chat message: a role and its interleaved parts."""

    role: str  # "system" | "user" | "assistant"
    parts: tuple[MessagePart, ...]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def images(self) -> tuple[ImageRef, ...]:
        return tuple(p for p in self.parts if isinstance(p, ImageRef))


def hf_conversation(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages as Hugging Face chat-template input: content lists of `{"type": "text", "text": ...}` and
    `{"type": "image"}` parts, in order (images are passed to the processor separately)."""
    return [{"role": m.role, "content": [{"type": "text", "text": p.text} if isinstance(p, TextPart)
                                         else {"type": "image"} for p in m.parts]} for m in messages]


@dataclass(frozen=True)
class ChoiceRequest:
    """Score each candidate as the assistant's reply to `messages` (which end with a user message)."""

    key: str  # stable and unique within a run, e.g. "item-7#2"
    messages: tuple[Message, ...]
    choices: tuple[str, ...]


@dataclass(frozen=True)
class ChoiceResult:
    """Log-likelihood of every candidate (sum over its tokens) and its token count, in request order."""

    logliks: tuple[float, ...]
    n_tokens: tuple[int, ...]


@dataclass(frozen=True)
class GenerateRequest:
    """Greedy generation of the assistant's reply to `messages`."""

    key: str
    messages: tuple[Message, ...]
    max_new_tokens: int = 32
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenerateResult:
    text: str


@dataclass(frozen=True)
class TextScoreRequest:
    """Raw-text scoring (the lm-eval bridge): log-likelihood of `continuation` after `context`, no chat template."""

    key: str
    context: str  # may be empty: the adapter then conditions on its start-of-text token
    continuation: str


@dataclass(frozen=True)
class TextScoreResult:
    loglik: float  # sum over the continuation's tokens
    n_tokens: int
    is_greedy: bool  # every continuation token is the model's argmax at its position


@dataclass(frozen=True)
class TextGenerateRequest:
    """Raw-prompt greedy generation (no chat template), cut at the first of the `until` strings."""

    key: str
    prompt: str
    until: tuple[str, ...] = ()
    max_new_tokens: int = 256


ANSWER_FORMATS = ("letter", "text")  # what a model answers with: the option letter, or the option text


def answer_format_of(config: Any) -> str:
    """The answer format a checkpoint was trained for: its config's `answer_format` (written by the zoo and by
    `wings-train answer_format=...`), "letter" when it says nothing (what most instruction-tuned models do)."""
    value = getattr(config, "answer_format", None)
    return value if value in ANSWER_FORMATS else "letter"


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do; the runner marks requests it cannot take as not applicable."""

    images: bool = False  # takes image parts at all
    max_images: int | None = None  # per request; None = unlimited
    generate: bool = False  # implements generate()
    attention: bool = False  # LAWS can read its attention (see SupportsAttention)
    max_context: int | None = None  # tokens
    candidates: str = "letter"  # ANSWER_FORMATS: what the model was trained to answer with; the run default


class Adapter(ABC):
    """Base class of all models. Constructed with the parsed `--model-args` as keyword arguments."""

    #: Registry name; set by subclasses (and by `hf-causal:<dir>`-style names through `path`).
    name: ClassVar[str] = ""
    capabilities: Capabilities = Capabilities()

    @abstractmethod
    def score_choices(self, requests: Sequence[ChoiceRequest]) -> list[ChoiceResult]:
        """Batched multiple-choice scoring. Results must not depend on how requests are batched."""

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        raise NotImplementedError(f"{type(self).__name__} cannot generate")

    # -- optional raw-text interface (used by the lm-eval bridge, `iitbench.lmeval`) ------------------------------

    def score_text(self, requests: Sequence[TextScoreRequest]) -> list[TextScoreResult]:
        """Log-likelihood of raw continuations after raw contexts: the text is scored as given, NO chat template."""
        raise NotImplementedError(f"{type(self).__name__} cannot score raw text")

    def generate_text(self, requests: Sequence[TextGenerateRequest]) -> list[GenerateResult]:
        """Greedy generation from raw prompts (no chat template), cut at the first `until` string."""
        raise NotImplementedError(f"{type(self).__name__} cannot generate from raw text")

    def apply_chat_template(self, chat_history: Sequence[dict[str, str]],
                            add_generation_prompt: bool = True) -> str | None:
        """The prompt string of `[{"role", "content"}, ...]` under the adapter's chat template; None if it has none."""
        return None

    def accepts(self, messages: Sequence[Message]) -> str | None:
        """None if the adapter can take these messages, else a short reason (recorded as not applicable)."""
        n_images = sum(len(m.images) for m in messages)
        if n_images and not self.capabilities.images:
            return "text-only model: the dialogue contains an image"
        cap = self.capabilities.max_images
        if cap is not None and n_images > cap:
            return f"the dialogue has {n_images} images; the model takes at most {cap}"
        return None

    def describe(self) -> dict[str, Any]:
        """Identity and settings recorded in results.json: override to add weights fingerprint, dtype, template hash."""
        return {"fingerprint": self.fingerprint(), "parameters": None, "dtype": None, "device": "cpu",
                "chat_template_hash": None}

    def fingerprint(self) -> str:
        """Stable identity of the model (class + arguments by default; adapters with weights hash them)."""
        return stable_hash({"class": f"{type(self).__module__}.{type(self).__qualname__}",
                            "args": getattr(self, "init_args", {})})


@runtime_checkable
class SupportsAttention(Protocol):
    """An adapter that computes MLLM-LAWS masses itself (`iitbench laws`, `iitbench.api.attention_shift`).

    `requests` are `iitbench.laws.protocol.LawsRequest`s, `options` a `LawsOptions`; return one `LawsResult` per
    request (per-layer attention mass on each token segment; `iitbench.laws.segments` labels the tokens). The
    built-in hf, hf-causal and wings adapters, and subclasses of them, need not implement it: `iitbench.laws`
    holds their backends and reads only their public attributes (`model`, `render`, `images`, `tokenizer`,
    `processor`, `device`, `window`, `pad_id`). Either way, set `Capabilities.attention`.
    """

    def attention_mass(self, requests: Sequence[Any], options: Any) -> list[Any]: ...


def cut_at_stops(text: str, stops: Sequence[str]) -> str:
    """`text` up to the earliest occurrence of any non-empty stop string."""
    cuts = [text.find(s) for s in stops if s and s in text]
    return text[:min(cuts)] if cuts else text


def stable_hash(obj: Any) -> str:
    """sha256 of a canonical JSON rendering (sorted keys); for fingerprints and template hashes."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()
