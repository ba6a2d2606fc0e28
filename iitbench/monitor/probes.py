"""The monitor's fixed probe sets, drawn once from IIT-synth (offline, seeded): the same items at every evaluation.

Text probe: `n_text` one-turn text questions, round-robin over the text families so that a small probe still covers
every family. Multimodal probe: `n_mm` two-turn dialogues, a text question answered with its gold answer, then a
visual question whose image comes first: the scored prompt then has content text before the image (the first turn)
and after it (the visual question), which LAWS needs (a sample without text on both sides has no shift).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from iitbench.data.types import Item, Question
from iitbench.datasets.assemble import collect_images, to_turn
from iitbench.models.protocol import stable_hash
from iitbench.monitor.config import MonitorConfig


@dataclass(frozen=True)
class ProbeSet:
    """Probe dialogues and the directory their images were written to (`ImageRef` loads them from there)."""

    root: Path
    text: tuple[Item, ...]
    mm: tuple[Item, ...]
    fingerprint: str  # sha256 of the items' JSON: a resumed run checks that its stored baseline used the same probe


def _round_robin(questions: list[Question], n: int) -> list[Question]:
    """First n questions taking one from each family in turn (load_synth returns them family by family)."""
    by_family: dict[str, list[Question]] = {}
    for q in questions:
        by_family.setdefault(q.source, []).append(q)
    columns = list(by_family.values())
    order = [col[i] for i in range(max(map(len, columns), default=0)) for col in columns if i < len(col)]
    return order[:n]


def _draw(kind: str, n: int, split: str, seed: int) -> list[Question]:
    from iitbench.sources.synth import TEXT_FAMILIES, VISUAL_FAMILIES, load_synth

    if n == 0:
        return []
    families = TEXT_FAMILIES if kind == "T" else VISUAL_FAMILIES
    per_family = math.ceil(n / len(families))
    return _round_robin(load_synth(split, per_family, seed, kinds=(kind,)), n)


def build_probes(config: MonitorConfig, root: Path | None) -> ProbeSet:
    """Draw the probes; with `root`, write their images under root/images (content-addressed PNGs).

    Without a root (a process that never scores, e.g. a DDP rank other than 0) nothing is written."""
    text_qs = _draw("T", config.n_text, config.split, config.seed)
    # The first turns of the multimodal dialogues come from another synth seed: not the text probe's questions.
    context_qs = _draw("T", config.n_mm, config.split, config.seed + 1)
    visual_qs = _draw("V", config.n_mm, config.split, config.seed)
    text = tuple(Item(id=f"text/{q.id}", config="T", turns=(to_turn(q),), scored_turn=0) for q in text_qs)
    mm = tuple(Item(id=f"mm/{v.id}", config="TV", turns=(to_turn(t), to_turn(v)), scored_turn=1)
               for t, v in zip(context_qs, visual_qs))
    fingerprint = stable_hash({"text": [i.to_json() for i in text], "mm": [i.to_json() for i in mm]})
    if root is not None:
        for rel, data in collect_images(visual_qs).items():
            path = Path(root) / rel
            if not path.is_file() or path.read_bytes() != data:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
    return ProbeSet(root=Path(root) if root is not None else Path("."), text=text, mm=mm, fingerprint=fingerprint)


def subset(probes: ProbeSet, text_ids: set[str]) -> ProbeSet:
    """The probe with only the text items named (items a model cannot take are dropped once, at the baseline)."""
    return ProbeSet(root=probes.root, text=tuple(i for i in probes.text if i.id in text_ids), mm=probes.mm,
                    fingerprint=probes.fingerprint)


__all__ = ["ProbeSet", "build_probes", "subset"]
