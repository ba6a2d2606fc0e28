"""Resolve `--source synth|hf|DIR` (+ `--sources`) into one pool of questions with licences and versions.

`DIR` is a local directory holding one subdirectory per real source, named like the source (mmlu/, ai2d/, ...);
each is read with `load_source(name, data_dir=DIR/name)`, so a build runs offline from downloaded files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.datasets.group import question_key
from iitbench.data.types import Item, Question
from iitbench.errors import UserError

HF_SOURCES = ("mmlu", "cmmlu", "openbookqa", "hellaswag", "mmmu", "mmbench", "seedbench", "ai2d")


@dataclass(frozen=True)
class SourceSet:
    """Questions from one or more loaders; `loader_of` maps a question key to its loader name."""

    kind: str  # "synth", "hf" or "local"
    questions: tuple[Question, ...]
    loader_of: dict[str, str]
    licences: dict[str, str]  # loader name -> licence
    versions: dict[str, str]  # loader name -> version / hub id recorded in the card

    def used_licences(self, items: Sequence[Item]) -> dict[str, str]:
        """Licences of the loaders whose questions appear in the items (the card lists only what it ships)."""
        used = {self.loader_of[f"{t.source}/{t.meta['qid']}"] for it in items for t in it.turns}
        return {name: self.licences[name] for name in sorted(used)}


def parse_sources(spec: str | None, flag: str = "--sources") -> tuple[str, ...]:
    if spec is None or not spec.strip():
        return HF_SOURCES
    names = tuple(dict.fromkeys(s.strip().lower() for s in spec.split(",") if s.strip()))
    bad = [n for n in names if n not in HF_SOURCES]
    if bad or not names:
        raise UserError(f"{flag} {spec!r}: unknown source {bad[0] if bad else ''!r}; choose from {','.join(HF_SOURCES)}")
    return names


def _hf_module() -> Any:
    try:
        from iitbench.sources import hf
    except ImportError as e:
        raise UserError(f"--source hf: the real-source loaders are unavailable ({e}); use --source synth") from None
    return hf


def load_synth_set(split: str, seed: int, n_per_family: int = 50, kinds: tuple[str, ...] = ("T", "V")) -> SourceSet:
    from iitbench.sources import synth

    qs = tuple(synth.load_synth(split=split, n_per_family=n_per_family, seed=seed, kinds=kinds))
    return SourceSet("synth", qs, {question_key(q): "synth" for q in qs}, {"synth": synth.LICENCE},
                     {"synth": str(synth.VERSION)})


def load_real_set(names: Sequence[str], data_root: Path | None, split: str | None) -> SourceSet:
    """The named real sources, from the Hub (`data_root` None) or from `data_root/<name>/`."""
    hf = _hf_module()
    questions: list[Question] = []
    loader_of: dict[str, str] = {}
    licences: dict[str, str] = {}
    versions: dict[str, str] = {}
    for name in names:
        data_dir = None
        if data_root is not None:
            data_dir = data_root / name
            if not data_dir.is_dir():
                raise UserError(f"--source {data_root}: no subdirectory {name!r}; add {data_dir} or pick sources "
                                f"with --sources")
        qs = hf.load_source(name, split=split, data_dir=data_dir)
        spec = hf.SOURCES[name]
        licences[name] = spec.licence
        versions[name] = "local" if data_dir is not None else str(getattr(spec, "hub_id", name))
        for q in qs:
            loader_of[question_key(q)] = name
        questions.extend(qs)
    return SourceSet("hf" if data_root is None else "local", tuple(questions), loader_of, licences, versions)


def load_inputs(source: str, sources: str | None, split: str | None, seed: int) -> SourceSet:
    """`--source synth` (the offline default), `hf` (the Hub) or a local directory of source subdirectories."""
    if source == "synth":
        if sources:
            raise UserError("--sources picks real sources; it does not apply to --source synth")
        return load_synth_set(split or "test", seed)
    names = parse_sources(sources)
    if source == "hf":
        return load_real_set(names, None, split)
    root = Path(source).expanduser()
    if not root.is_dir():
        raise UserError(f"--source {source!r}: not synth, hf or an existing directory of source subdirectories")
    if sources is None:  # a local dir need not hold all eight: use the ones present
        names = tuple(n for n in HF_SOURCES if (root / n).is_dir())
        if not names:
            raise UserError(f"--source {root}: holds none of {','.join(HF_SOURCES)} as a subdirectory")
    return load_real_set(names, root, split)
