"""Semantic grouping: which questions go into the context turns of a dialogue.

The paper retrieved instructions of similar meaning from a vector database (chroma) and chained them into
dialogues. Here the "database" is an in-memory matrix of normalised sentence embeddings and retrieval is exact
nearest-neighbour search by cosine similarity. Similarities are rounded (to `DECIMALS`) before ranking and ties
are broken by question key, so a build gives the same dialogues on machines whose float arithmetic differs in
the last bits. `RandomGrouper` is the no-embedder baseline (fast, and the control in tests).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from iitbench.data.types import ImageBlob, Question

DECIMALS = 3
NEAR_DUPLICATE = 0.95  # rounded cosine similarity at or above which a candidate counts as a paraphrase
GROUPINGS = ("embedding", "random")


def question_key(q: Question) -> str:
    """Globally unique key: ids are unique only within their source."""
    return f"{q.source}/{q.id}"


def content_key(q: Question) -> str:
    """Questions with the same text and images (ignoring case and spacing; options may differ) share this key.

    A dialogue never holds two of them: under teacher forcing an earlier copy would give the answer away.
    """
    images = [hashlib.sha256(p.data).hexdigest() for p in q.parts if isinstance(p, ImageBlob)]
    return "\x1f".join([" ".join(q.text.lower().split()), *images])


def question_text(q: Question) -> str:
    """What gets embedded: the question text, or its options when the text is empty (an image-only question)."""
    text = q.text.strip()
    return text if text else " / ".join(q.choices)


@dataclass(frozen=True)
class Pools:
    """Question indices per turn kind, sorted by key, and each question's rank in key order (the tie-breaker)."""

    by_kind: dict[str, np.ndarray]
    rank: np.ndarray

    @classmethod
    def of(cls, questions: Sequence[Question]) -> Pools:
        order = sorted(range(len(questions)), key=lambda i: question_key(questions[i]))
        rank = np.empty(len(questions), dtype=np.int64)
        rank[order] = np.arange(len(questions), dtype=np.int64)
        by_kind: dict[str, list[int]] = {"T": [], "V": []}
        for i in order:
            by_kind[questions[i].kind].append(i)
        return cls({k: np.asarray(v, dtype=np.int64) for k, v in by_kind.items()}, rank)


class Grouper(Protocol):
    """Ranks candidate context questions for an anchor (the scored question of a dialogue)."""

    def neighbours(self, anchor: int, kind: str, exclude: set[int], k: int, rng: random.Random) -> list[int]:
        """`k` question indices of `kind`, none in `exclude`, best first."""
        ...


class EmbeddingGrouper:
    """Exact nearest neighbours by rounded cosine similarity, ties broken by question key."""

    def __init__(self, pools: Pools, embeddings: np.ndarray):
        self.pools = pools
        self.emb = np.asarray(embeddings, dtype=np.float32)
        self.scale = 10 ** DECIMALS

    def similarities(self, anchor: int, kind: str) -> np.ndarray:
        """Rounded similarity (an integer in thousandths) of the anchor to every question of `kind`, in pool order."""
        pool = self.pools.by_kind[kind]
        sims = self.emb[pool] @ self.emb[anchor]
        return np.rint(sims.astype(np.float64) * self.scale).astype(np.int64)

    def neighbours(self, anchor: int, kind: str, exclude: set[int], k: int, rng: random.Random) -> list[int]:
        pool = self.pools.by_kind[kind]
        if k <= 0 or len(pool) == 0:
            return []
        sims = self.similarities(anchor, kind)
        # Paraphrases of the anchor would hand the model its answer in an earlier turn: not neighbours.
        cand = np.nonzero(sims < round(NEAR_DUPLICATE * self.scale))[0]
        if len(cand) == 0:
            return []
        # One integer sort key: higher similarity first, then lower key rank. Exact, so argpartition is safe.
        n = len(self.pools.rank)
        order_key = -sims[cand] * (n + 1) + self.pools.rank[pool[cand]]
        want = min(len(cand), k + len(exclude))
        top = np.argpartition(order_key, want - 1)[:want] if want < len(cand) else np.arange(len(cand))
        top = top[np.argsort(order_key[top], kind="stable")]
        out = [int(pool[cand[j]]) for j in top if int(pool[cand[j]]) not in exclude]
        return out[:k]


class RandomGrouper:
    """Context turns drawn uniformly from the pool of their kind (the no-grouping control)."""

    def __init__(self, pools: Pools):
        self.pools = pools
        self.members = {k: frozenset(v.tolist()) for k, v in pools.by_kind.items()}

    def neighbours(self, anchor: int, kind: str, exclude: set[int], k: int, rng: random.Random) -> list[int]:
        pool = self.pools.by_kind[kind]
        out: list[int] = []
        taken = set(exclude)
        available = len(pool) - len(self.members[kind] & taken)
        while len(out) < k and len(out) < available:
            i = int(pool[rng.randrange(len(pool))])
            if i not in taken:
                taken.add(i)
                out.append(i)
        return out
