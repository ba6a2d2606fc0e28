"""Deterministic assembly of IIT dialogues from a pool of source questions.

For each config the scored (last) question of every dialogue is drawn from the pool of its kind with an RNG
seeded by (seed, config), so adding a config never changes the others and a question is scored at most once
per config. The context turns are then filled from the last backwards with the anchor's nearest unused
neighbours of the required kind, across sources (the paper's vector-database retrieval), so the turns of a
dialogue are about related things and no question appears twice in one dialogue.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from iitbench.data.types import ImageBlob, ImagePart, Item, Part, Question, TextPart, Turn
from iitbench.datasets.group import (
    GROUPINGS,
    EmbeddingGrouper,
    Grouper,
    Pools,
    RandomGrouper,
    content_key,
    question_key,
    question_text,
)
from iitbench.datasets.write import blob_path
from iitbench.errors import UserError

_KIND_NAMES = {"T": "text-only", "V": "visual"}


def to_turn(q: Question) -> Turn:
    """A source question as a dialogue turn; encoded images become content-addressed relative paths."""
    parts: list[Part] = []
    for p in q.parts:
        parts.append(ImagePart(blob_path(p, f"question {question_key(q)}")) if isinstance(p, ImageBlob) else TextPart(p.text))
    meta = {"qid": q.id, **dict(q.meta)}
    if q.subject:
        meta["subject"] = q.subject
    return Turn(kind=q.kind, source=q.source, parts=tuple(parts), choices=tuple(q.choices), answer=q.answer, meta=meta)


def collect_images(questions: Sequence[Question]) -> dict[str, bytes]:
    """Relative path -> bytes for every image of the given questions (what `write_build` needs)."""
    return {blob_path(p): p.data for q in questions for p in q.parts if isinstance(p, ImageBlob)}


def check_supply(pools: Pools, configs: Sequence[str], per_config: int) -> None:
    """Fail early, with the numbers, when the pool cannot give every config its dialogues."""
    if per_config < 1:
        raise UserError(f"--per-config {per_config}: must be at least 1")
    for config in configs:
        have = {k: len(v) for k, v in pools.by_kind.items()}
        last = config[-1]
        if have[last] < per_config:
            raise UserError(f"config {config!r}: {per_config} dialogues need {per_config} distinct {_KIND_NAMES[last]} "
                            f"questions to score but only {have[last]} are available; lower --per-config to "
                            f"{have[last]} or add sources")
        for kind, n in Counter(config).items():
            if have[kind] < n:
                raise UserError(f"config {config!r}: one dialogue needs {n} distinct {_KIND_NAMES[kind]} questions "
                                f"but only {have[kind]} are available; add sources or drop the config")


def make_grouper(questions: Sequence[Question], pools: Pools, configs: Sequence[str], grouping: str,
                 embedder: str | None, progress: bool = True) -> Grouper:
    if grouping not in GROUPINGS:
        raise UserError(f"--grouping {grouping!r}: unknown; use one of {', '.join(GROUPINGS)}")
    if grouping == "random" or all(len(c) == 1 for c in configs):
        return RandomGrouper(pools)  # single-turn configs have no context to group: skip loading a model
    from iitbench.datasets.embed import embed_texts

    return EmbeddingGrouper(pools, embed_texts([question_text(q) for q in questions], embedder, progress))


def assemble(questions: Sequence[Question], configs: Sequence[str], per_config: int, seed: int,
             grouping: str | Grouper = "embedding", embedder: str | None = None, progress: bool = True) -> list[Item]:
    """Build `per_config` dialogues for each config; item ids are "<config>-<n:05d>", the last turn is scored."""
    keys = [question_key(q) for q in questions]
    dup = [k for k, n in Counter(keys).items() if n > 1]
    if dup:
        raise UserError(f"question {dup[0]!r} appears twice in the sources; question ids must be unique per source")
    pools = Pools.of(questions)
    check_supply(pools, configs, per_config)
    grouper = grouping if not isinstance(grouping, str) else make_grouper(questions, pools, configs, grouping, embedder, progress)
    same_content: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        same_content.setdefault(content_key(q), []).append(i)
    twins = [same_content[content_key(q)] for q in questions]  # indices that look identical to question i
    items: list[Item] = []
    for config in configs:
        pool = pools.by_kind[config[-1]].tolist()
        # String seeds hash with sha512 in CPython, so this is stable across runs and machines.
        rng = random.Random(f"iit-scored:{seed}:{config}")
        anchors = rng.sample(pool, per_config)
        ctx_rng = random.Random(f"iit-context:{seed}:{config}")
        for n, anchor in enumerate(anchors):
            chosen = [anchor]
            for pos in range(len(config) - 2, -1, -1):
                exclude = {j for i in chosen for j in twins[i]}
                nxt = grouper.neighbours(anchor, config[pos], exclude, 1, ctx_rng)
                if not nxt:
                    raise UserError(f"config {config!r}: not enough distinct {_KIND_NAMES[config[pos]]} questions to "
                                    f"fill one dialogue (identical questions count once); add sources")
                chosen.insert(0, nxt[0])
            turns = tuple(to_turn(questions[i]) for i in chosen)
            items.append(Item(id=f"{config}-{n:05d}", config=config, turns=turns, scored_turn=len(turns) - 1))
    return items


def used_questions(items: Sequence[Item], questions: Sequence[Question]) -> list[Question]:
    """The questions that appear in some item (for images and licences), in pool order."""
    used = {f"{t.source}/{t.meta['qid']}" for it in items for t in it.turns}
    return [q for q in questions if question_key(q) in used]


__all__ = ["assemble", "collect_images", "to_turn", "used_questions"]
