"""The paper's multimodal suites as dataset directories: `iitbench run --suite mme|scienceqa-img|hallusionbench|
mmbench-en|mmbench-cn|paper-mm` (paper-mm = all five).

Each is a directory of single-turn items whose scored turn carries the benchmark's grouping fields in its `meta`
(MME's image, HallusionBench's set/figure/question ids, MMBench's circular group) and `answer_rule` for generation
mode; its card names the benchmark (`build.benchmark`), so the runner adds the benchmark's own metrics to
results.json (`metrics.benchmark`, see `iitbench.mmsuite.metrics`).

Where the data comes from, in order: a local copy in `$IITBENCH_DATA/<name>/` (the Hub parquet layout or VLMEvalKit's
TSV), then the Hugging Face Hub (or its cache). When neither has it (offline here), the suite is the benchmark's
synthetic twin (`iitbench.mmsuite.synth`), said on stderr and recorded as `build.origin: synthetic`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from iitbench import __version__
from iitbench.data.types import Item, Question
from iitbench.datasets.assemble import collect_images, to_turn
from iitbench.datasets.write import is_dataset_dir, write_build
from iitbench.errors import UserError
from iitbench.mmsuite import BENCHMARKS, PAPER_MM

ANSWER_RULES = {"mme": "yes-no", "hallusionbench": "yes-anywhere"}  # how a generated reply becomes Yes / No
BUILD_VERSION = "1"  # bump when what a suite directory contains changes
_TOLD: set[str] = set()  # benchmarks whose synthetic stand-in was already announced in this process


def _tell(name: str, message: str) -> None:
    if name not in _TOLD:
        _TOLD.add(name)
        print(message, file=sys.stderr)


def real_questions(name: str, data_dir: Path | None, split: str | None, limit: int | None):
    """(questions, skipped counts, licence) of the real benchmark."""
    if name == "mmbench-en":
        from iitbench.sources.hf import get_source, load_source_report

        report = load_source_report("mmbench", split=split, data_dir=data_dir, limit=limit,
                                    subjects=None if data_dir is not None else ["en"])
        return report.questions, dict(report.skipped), get_source("mmbench").licence
    from iitbench.mmsuite.loaders import LOADERS, load_benchmark

    report = load_benchmark(name, data_dir, split, limit)
    licence = LOADERS[name].licence if name in LOADERS else "unknown"
    return report.questions, dict(report.skipped), licence


def _rotations(item: Item) -> list[Item]:
    """MMBench circular evaluation (VLMEvalKit): the item with its options rotated once per option."""
    from dataclasses import replace

    turn = item.turns[0]
    n = len(turn.choices)
    out = []
    for k in range(n):
        choices = turn.choices[k:] + turn.choices[:k]
        rotated = replace(turn, choices=choices, answer=(turn.answer - k) % n,
                          meta={**turn.meta, "circular_of": item.id})
        out.append(replace(item, id=item.id if k == 0 else f"{item.id}@r{k}", turns=(rotated,)))
    return out


def to_items(name: str, questions: list[Question], circular: bool = False) -> list[Item]:
    items = []
    for q in questions:
        turn = to_turn(q)
        rule = ANSWER_RULES.get(name)
        if rule:
            from dataclasses import replace

            turn = replace(turn, meta={**turn.meta, "answer_rule": rule})
        item = Item(id=q.id, config=turn.kind, turns=(turn,), scored_turn=0)
        items += _rotations(item) if circular and name.startswith("mmbench") else [item]
    return items


def build_benchmark(name: str, out: str | Path, *, data_dir: str | Path | None = None, split: str | None = None,
                    limit: int | None = None, circular: bool = False, synthetic: bool = False,
                    per_family: int = 20) -> Path:
    """Write benchmark `name` (real, from `data_dir` or the Hub; or its synthetic twin) as a dataset directory."""
    if name not in BENCHMARKS:
        raise UserError(f"unknown benchmark {name!r}; use one of {', '.join(BENCHMARKS)}")
    if circular and not name.startswith("mmbench"):
        raise UserError(f"--circular: circular evaluation rotates MMBench's options; {name} has none to rotate")
    if synthetic:
        from iitbench.mmsuite.synth import twin
        from iitbench.sources.synth import LICENCE

        questions, skipped, licence, origin = twin(name, per_family), {}, LICENCE, "synthetic"
    else:
        questions, skipped, licence = real_questions(name, None if data_dir is None else Path(data_dir), split,
                                                     limit)
        origin = "real"
        if not questions:
            raise UserError(f"{name}: no usable question ({skipped or 'no rows'}); check the data")
    items = to_items(name, list(questions), circular)
    build = {"benchmark": name, "origin": origin, "split": split, "skipped": dict(sorted(skipped.items())),
             "circular": circular, "builder": "iitbench.mmsuite", "iitbench_version": __version__}
    write_build(Path(out), items, collect_images(list(questions)), name=name + ("-synth" if synthetic else ""),
                version=BUILD_VERSION, licences={name: licence}, build=build)
    return Path(out)


def ensure_benchmark(name: str) -> Path:
    """The cached suite directory of `--suite NAME`: local copy, else Hub, else the synthetic twin (said once)."""
    from iitbench.datasets.suites import cache_root

    local = Path(os.environ["IITBENCH_DATA"]) / name if os.environ.get("IITBENCH_DATA") else None
    if local is not None and local.exists():
        out = cache_root() / "benchmarks" / f"{name}-local-v{BUILD_VERSION}"
        return out if is_dataset_dir(out) else build_benchmark(name, out, data_dir=local)
    real = cache_root() / "benchmarks" / f"{name}-hub-v{BUILD_VERSION}"
    if is_dataset_dir(real):
        return real
    twin = cache_root() / "benchmarks" / f"{name}-synthetic-v{BUILD_VERSION}"
    if is_dataset_dir(twin):
        _tell(name, f"{name}: using its synthetic twin (no local copy in $IITBENCH_DATA/{name}, Hub unreachable)")
        return twin
    try:
        return build_benchmark(name, real)
    except UserError as e:
        _tell(name, f"{name}: the real benchmark is not available ({e}); using its synthetic twin, labelled "
                    "synthetic in the results")
        return build_benchmark(name, twin, synthetic=True)


__all__ = ["ANSWER_RULES", "BENCHMARKS", "PAPER_MM", "build_benchmark", "ensure_benchmark", "to_items"]
