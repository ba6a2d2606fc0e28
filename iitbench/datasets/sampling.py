"""Seeded, machine-independent subsets of a source's questions (the text-real suite, the packaged IIT pool)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence

from iitbench.data.types import Question


def _order(seed: int, qid: str) -> str:
    return hashlib.sha256(f"{seed}\x00{qid}".encode()).hexdigest()


def sample(questions: Sequence[Question], n: int | None, seed: int, by_subject: bool) -> list[Question]:
    """The first n questions by sha256(seed, id) (every one when n is None), per subject when `by_subject`;
    returned in that hashed order, so that the first items of a stratified sample already span many subjects."""
    strata: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        strata[q.subject if by_subject else ""].append(q)
    kept: list[Question] = []
    for key in sorted(strata):
        ranked = sorted(strata[key], key=lambda q: (_order(seed, q.id), q.id))
        kept.extend(ranked if n is None else ranked[:n])
    return sorted(kept, key=lambda q: (_order(seed, q.id), q.id))


__all__ = ["sample"]
