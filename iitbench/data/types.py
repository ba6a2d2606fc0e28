"""The typed dialogue model: message parts, turns, items, dataset cards, source questions.

Everything here is a frozen dataclass so that requests and results can be hashed, compared and never mutated
behind the runner's back. The JSON form of each type is produced by `to_json()` and parsed (with validation)
by `iitbench.data.manifest`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

TURN_KINDS = ("T", "V")


@dataclass(frozen=True)
class TextPart:
    """A piece of text inside a message."""

    text: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}


@dataclass(frozen=True)
class ImagePart:
    """An image inside a message; `path` is relative to the dataset directory (see `manifest.resolve_image`)."""

    path: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "image", "path": self.path}


Part = Union[TextPart, ImagePart]


@dataclass(frozen=True)
class ImageBlob:
    """An encoded image that a source produced and a builder has not yet written into a dataset directory."""

    data: bytes
    format: str = "png"  # file extension without the dot


SourcePart = Union[TextPart, ImageBlob]


@dataclass(frozen=True)
class Turn:
    """One question of a dialogue: its parts (interleaved text and images), the options and the gold index."""

    kind: str  # "T" (text-only) or "V" (has at least one image)
    source: str  # e.g. "synth.arith", "mmlu"
    parts: tuple[Part, ...]
    choices: tuple[str, ...]
    answer: int
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)

    @property
    def images(self) -> tuple[ImagePart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ImagePart))

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "source": self.source,
            "parts": [p.to_json() for p in self.parts],
            "choices": list(self.choices),
            "answer": self.answer,
        }
        if self.meta:
            out["meta"] = dict(self.meta)
        return out


@dataclass(frozen=True)
class Item:
    """A dialogue: its turns in order, the config string (one letter per turn) and which turn is scored."""

    id: str
    config: str
    turns: tuple[Turn, ...]
    scored_turn: int  # index into turns; the last turn by default
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)

    @property
    def has_image(self) -> bool:
        return "V" in self.config

    def position(self, turn: int | None = None) -> str:
        """Where a turn stands relative to the images of the dialogue: no-image | image-turn | after-image | before-image."""
        t = self.scored_turn if turn is None else turn
        if self.config[t] == "V":
            return "image-turn"
        if "V" in self.config[:t]:
            return "after-image"
        if "V" in self.config[t + 1 :]:
            return "before-image"
        return "no-image"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "config": self.config,
            "turns": [t.to_json() for t in self.turns],
            "scored_turn": self.scored_turn,
        }
        if self.meta:
            out["meta"] = dict(self.meta)
        return out


@dataclass(frozen=True)
class Question:
    """A single multiple-choice question from a source, before it is placed into a dialogue.

    `parts` interleave text and encoded images in reading order (MMMU's `<image k>` placeholders become
    ImageBlobs at their place). `id` is stable and unique within its source.
    """

    id: str
    source: str
    parts: tuple[SourcePart, ...]
    choices: tuple[str, ...]
    answer: int
    subject: str = ""
    split: str = ""
    #: benchmark fields a metric groups by (MME's image, HallusionBench's set/figure/question ids), as (key, value)
    #: pairs so the question stays hashable; they become the turn's `meta`
    meta: tuple[tuple[str, Any], ...] = ()

    @property
    def kind(self) -> str:
        return "V" if any(isinstance(p, ImageBlob) for p in self.parts) else "T"

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))


@dataclass(frozen=True)
class DatasetCard:
    """`dataset.json`: what a dataset directory holds and where it came from."""

    name: str
    version: str
    fingerprint: str
    n_items: int
    counts_per_config: dict[str, int]
    counts_per_source: dict[str, int]
    licences: dict[str, str]
    build: dict[str, Any] = field(default_factory=dict)  # seed, configs, builder version, grouping model, ...

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "n_items": self.n_items,
            "counts_per_config": dict(self.counts_per_config),
            "counts_per_source": dict(self.counts_per_source),
            "licences": dict(self.licences),
            "build": dict(self.build),
        }
