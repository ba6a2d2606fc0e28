"""Shared machinery of the synth generators: the Family record, stable seeding, split partition, option drawing.

Splits are disjoint *by construction*: every generated question has a canonical `key` (its content, or for
visual tasks its coarse scene spec), and a stable hash of (family, key) assigns the key to exactly one split.
A generator draws candidates until one falls in the requested split, so train and test never share a key.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

SPLITS = ("train", "dev", "test")
N_OPTIONS = 4
# Out of 10 hash buckets: 2 go to test, 1 to dev, 7 to train.
_SPLIT_OF_BUCKET = ("test", "test", "dev", "train", "train", "train", "train", "train", "train", "train")
_MAX_DRAWS = 10_000


@dataclass(frozen=True)
class Generated:
    """One generated question before it becomes an `iitbench.data.types.Question`.

    `key` is the canonical content that decides the split; `spec` describes what was drawn (for visual tasks,
    the rendered scene) so tests and users can check the gold answer against it.
    """

    question: str
    choices: tuple[str, ...]
    answer: int
    key: str
    image: bytes | None = None
    spec: Any = None


@dataclass(frozen=True)
class Family:
    """A task family: its name, kind ("T" text / "V" visual), generator, and every option string it can emit."""

    name: str
    kind: str
    generate: Callable[[random.Random, str], Generated] = field(compare=False)
    description: str
    answer_space: frozenset[str] = field(default_factory=frozenset, compare=False)


def stable_int(*parts: object) -> int:
    """A 64-bit integer from the parts' text, identical across processes (unlike `hash()`)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def split_of(family: str, key: str) -> str:
    """The one split a canonical key belongs to."""
    return _SPLIT_OF_BUCKET[stable_int("split", family, key) % len(_SPLIT_OF_BUCKET)]


def question_rng(seed: int, split: str, family: str, index: int) -> random.Random:
    """An independent RNG per question, so question n is the same whatever n_per_family is."""
    return random.Random(stable_int("synth", seed, split, family, index))


def draw_in_split(rng: random.Random, split: str, family: str, sample: Callable[[random.Random], Any]) -> Any:
    """Call `sample(rng)` until the draw's `.key` falls in `split`; the draw is returned."""
    for _ in range(_MAX_DRAWS):
        draw = sample(rng)
        if split_of(family, draw.key) == split:
            return draw
    raise RuntimeError(f"synth.{family}: no draw fell in split {split!r} after {_MAX_DRAWS} tries")


def with_options(
    rng: random.Random, correct: str, pool: Sequence[str], prefer: Sequence[str] = ()
) -> tuple[tuple[str, ...], int]:
    """Four unique options: the correct one, distractors from `prefer` first then `pool`, shuffled by `rng`.

    `prefer` holds near misses (e.g. off-by-ten sums) so the task is not solvable from option shape alone.
    """
    distractors: list[str] = []
    for group in (prefer, pool):
        cands = sorted({c for c in group if c != correct and c not in distractors})
        rng.shuffle(cands)
        distractors.extend(cands[: N_OPTIONS - 1 - len(distractors)])
        if len(distractors) == N_OPTIONS - 1:
            break
    if len(distractors) != N_OPTIONS - 1:
        raise RuntimeError(f"answer pool too small for {correct!r}: {sorted(pool)}")
    options = [correct, *distractors]
    rng.shuffle(options)
    return tuple(options), options.index(correct)
