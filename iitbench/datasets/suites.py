"""The built-in suites the runner uses, built from IIT-synth and cached per (suite, seed, generator version).

- "iit":  the paper's six configs (or `configs`) from IIT-synth test questions, `per_config` dialogues each (100).
- "text": one single-turn T item per synth text question, `per_config` per text family (50): the text-forgetting suite.
- "mm":   one single-turn V item per synth visual question, `per_config` per visual family (50).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from iitbench import __version__
from iitbench.data.manifest import CARD_FILE
from iitbench.data.types import DatasetCard, Item
from iitbench.datasets.assemble import assemble, to_turn
from iitbench.datasets.grammar import DEFAULT_CONFIGS
from iitbench.datasets.group import question_key
from iitbench.datasets.inputs import load_synth_set
from iitbench.datasets.pipeline import build_settings, write_items
from iitbench.datasets.write import is_dataset_dir
from iitbench.errors import UserError

SUITES = ("iit", "text", "mm")
DEFAULT_PER_CONFIG = {"iit": 100, "text": 50, "mm": 50}
# Bump when assembly changes what a suite contains, so caches built by older code are not reused.
BUILDER_VERSION = "2"  # 2: single-kind suites interleave their families
_SINGLE_KIND = {"text": "T", "mm": "V"}


def _check_suite(suite: str) -> None:
    if suite not in SUITES:
        raise UserError(f"--suite {suite!r}: unknown built-in suite; use one of {', '.join(SUITES)} or a dataset directory")


def _interleave_families(questions) -> list:
    """One question of each family in turn (families and questions in key order), so that `--limit N` (the first N
    items of a config) samples every family instead of the first one only."""
    by_family: dict[str, list] = {}
    for q in sorted(questions, key=question_key):
        by_family.setdefault(q.subject, []).append(q)
    columns = [by_family[f] for f in sorted(by_family)]
    return [col[i] for i in range(max((len(c) for c in columns), default=0)) for col in columns if i < len(col)]


def build_synth_suite(out: Path, suite: str = "iit", seed: int = 0, per_config: int | None = None,
                      configs: tuple[str, ...] | None = None, grouping: str = "embedding",
                      replace: bool = True) -> DatasetCard:
    """Build one built-in suite into `out` and return its card."""
    _check_suite(suite)
    n = DEFAULT_PER_CONFIG[suite] if per_config is None else per_config
    if n < 1:
        raise UserError(f"--per-config {n}: must be at least 1")
    if suite == "iit":
        configs = configs or DEFAULT_CONFIGS
        # Enough per family that each kind's pool can score n dialogues even with a single family of that kind.
        inputs = load_synth_set("test", seed, n_per_family=max(50, n))
        items = assemble(inputs.questions, configs, n, seed, grouping=grouping)
        build = build_settings(inputs, configs, n, seed, grouping, None, "test", suite=suite)
    else:
        kind = _SINGLE_KIND[suite]
        if configs not in (None, (kind,)):
            raise UserError(f"--configs {','.join(configs or ())}: the {suite!r} suite is single-turn {kind} only")
        inputs = load_synth_set("test", seed, n_per_family=n, kinds=(kind,))
        questions = _interleave_families(q for q in inputs.questions if q.kind == kind)
        if not questions:
            raise UserError(f"suite {suite!r}: IIT-synth produced no {kind} questions; check the synth generators")
        items = [Item(id=f"{kind}-{i:05d}", config=kind, turns=(to_turn(q),), scored_turn=0)
                 for i, q in enumerate(questions)]
        build = build_settings(inputs, (kind,), n, seed, "none", None, "test", suite=suite, per="family")
    return write_items(Path(out), items, inputs, f"iit-synth-{suite}", __version__, build, replace=replace)


def cache_root() -> Path:
    return Path(os.environ.get("IITBENCH_CACHE") or Path.home() / ".cache" / "iitbench").expanduser()


def default_suite_dir(suite: str, seed: int = 0, grouping: str = "embedding") -> Path:
    """Where a built-in suite is cached; the name carries the synth and builder versions, so stale caches are skipped."""
    _check_suite(suite)
    from iitbench.sources.synth import VERSION

    tag = f"-{grouping}" if suite == "iit" and grouping != "embedding" else ""
    return cache_root() / "suites" / f"{suite}-synth{VERSION}-b{BUILDER_VERSION}-seed{seed}{tag}"


def ensure_suite(suite: str, seed: int = 0, grouping: str = "embedding") -> Path:
    """The cached suite directory, built once (atomically; a concurrent builder's finished copy is kept)."""
    out = default_suite_dir(suite, seed, grouping)
    if (out / CARD_FILE).is_file():
        return out
    print(f"building the IIT-synth '{suite}' suite (seed {seed}) into {out}; later runs reuse it", file=sys.stderr)
    build_synth_suite(out, suite, seed, grouping=grouping, replace=is_dataset_dir(out))
    return out


__all__ = ["SUITES", "build_synth_suite", "default_suite_dir", "ensure_suite"]
