"""A study file: models x analyses, read from YAML into frozen dataclasses (one-line errors on bad input).

    name: deep-zoo
    output: studies/deep-zoo            # OUTPUT/<model>/{iit, forgetting, laws-<variant>} and OUTPUT/<model>/model.json
    executor: local                     # local (processes) | slurm | submitit-local (submitit's local executor)
    workers: 1                          # local: models processed at once
    slurm: {partition: gpu, timeout_min: 120, gpus_per_node: 1}   # passed to submitit's AutoExecutor
    analyses: [iit, context, forgetting, laws]   # default for every model; `diagnose` is optional (below)
    suite: iit                          # the IIT run's (and LAWS') suite: a named suite or a dataset directory
    limit: null                         # first N items per config (all by default)
    text_suite: text                    # forgetting's and diagnose's suite: text (IIT-synth), text-real, a directory
    text_limit: null                    # first N items per config of text_suite (default: limit); text-real has one
                                        # config whose items alternate between its benchmarks, so N spreads evenly
    laws: [{segments: content, sinks: include}, {segments: all-text, sinks: exclude}]
    models:
      - {name: deep-wings, model: "wings:/data/deep-zoo/deep-wings", base: "hf-causal:/data/deep-zoo/base-deep"}
      - {name: llava-tiny, model: llava-tiny, base: base-tiny}
    include: [real-llm-models.yaml]     # model lists of other files joining this study (same analyses and output)

Analyses: iit (the IIT run), context (its items cut to their scored turn), forgetting (text Δ vs `base`), laws (one
run per `laws` variant) and diagnose (`iitbench diagnose` against `base`, writing diagnose/diagnose.json, whose
numbers join the predictor table; only when this iitbench has `iitbench.api.diagnose`).

Families: models that share a base LLM form a family (or name one with `meta: {family: NAME}`); the predictor table
(`iitbench.study.validity`) reports each family and all families pooled. A second family joins the same tables by
listing its models in this file, or in a file under `include:` whose `meta:` (e.g. {family: real-llm}) is merged
into each of its models' meta.

Each model's `meta` (or, for a zoo-built directory, its zoo_card.json) is copied to OUTPUT/<model>/model.json, so
tables can group models by method, learning rate or seed without the weights. `$VARIABLES` in model and base specs
are expanded from the environment (e.g. `wings:$IITBENCH_DEEP_ZOO/deep-wings`), so a study file names no machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iitbench.errors import UserError

ANALYSES = ("iit", "context", "forgetting", "laws")  # context: the IIT items cut to their scored turn
OPTIONAL = ("diagnose",)  # run only where listed: it needs iitbench.api.diagnose (iitbench/diagnose/)
NEEDS_BASE = ("forgetting", "diagnose")
EXECUTORS = ("local", "slurm", "submitit-local")
LAWS_KEYS = ("segments", "sinks", "head_reduction", "per_query_norm", "queries")


@dataclass(frozen=True)
class LawsVariant:
    segments: str = "content"
    sinks: str = "include"
    head_reduction: str = "sum"
    per_query_norm: bool = False
    queries: str = "all"  # which query rows LAWS sums (iitbench.laws.protocol.QUERY_MODES); all = the paper's

    @property
    def key(self) -> str:
        """Directory suffix, e.g. `content-include-sum`, with `-pq` when masses are per-query normalised and
        `-after` / `-answer` for the query restrictions (the paper's `all` adds nothing, so old names stay)."""
        from iitbench.laws.protocol import QUERY_SUFFIX

        return (f"{self.segments}-{self.sinks}-{self.head_reduction}" + ("-pq" if self.per_query_norm else "")
                + QUERY_SUFFIX[self.queries])


@dataclass(frozen=True)
class ModelEntry:
    name: str
    model: str
    base: str | None = None
    analyses: tuple[str, ...] = ANALYSES
    model_args: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    name: str
    output: Path
    models: tuple[ModelEntry, ...]
    executor: str = "local"
    workers: int = 1
    slurm: dict[str, Any] = field(default_factory=dict)
    suite: str = "iit"
    limit: int | None = None
    text_suite: str = "text"
    text_limit: int | None = None
    laws: tuple[LawsVariant, ...] = (LawsVariant(),)
    laws_limit: int | None = None
    n_boot: int = 1000
    seed: int = 0


def _need(obj: dict, key: str, kind: type, where: str) -> Any:
    if key not in obj:
        raise UserError(f"{where}: missing {key!r}")
    if not isinstance(obj[key], kind):
        raise UserError(f"{where}: {key!r} must be {kind.__name__}, got {type(obj[key]).__name__}")
    return obj[key]


def _model(obj: Any, where: str, analyses: tuple[str, ...], meta: dict[str, Any] | None = None) -> ModelEntry:
    if not isinstance(obj, dict):
        raise UserError(f"{where}: a model entry must be a mapping with name and model")
    unknown = set(obj) - {"name", "model", "base", "analyses", "model_args", "meta"}
    if unknown:
        raise UserError(f"{where}: unknown key(s) {sorted(unknown)}")
    name = _need(obj, "name", str, where)
    if not name or "/" in name or name.startswith("."):
        raise UserError(f"{where}: name {name!r} must be a plain directory name")
    chosen = tuple(obj.get("analyses", analyses))
    bad = [a for a in chosen if a not in ANALYSES + OPTIONAL]
    if bad:
        raise UserError(f"{where}: analyses {bad}: use some of {', '.join(ANALYSES + OPTIONAL)}")
    missing = [a for a in NEEDS_BASE if a in chosen and not obj.get("base")]
    if missing:
        raise UserError(f"{where} ({name}): {missing[0]} needs a base LLM; add base: or drop {missing[0]}")
    base = os.path.expandvars(obj["base"]) if isinstance(obj.get("base"), str) else obj.get("base")
    return ModelEntry(name=name, model=os.path.expandvars(_need(obj, "model", str, where)), base=base, analyses=chosen,
                      model_args=dict(obj.get("model_args") or {}), meta={**(meta or {}), **(obj.get("meta") or {})})


def _yaml(path: Path, what: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"{path}: cannot read the {what} ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise UserError(f"{path}: not valid YAML ({' '.join(str(e).split())[:120]})") from None


def _included(path: Path, analyses: tuple[str, ...]) -> tuple[ModelEntry, ...]:
    """The models of an included file (`models:`, optional `meta:` merged into each model's meta)."""
    raw = _yaml(path, "included model list")
    if not isinstance(raw, dict) or set(raw) - {"models", "meta"} or not isinstance(raw.get("meta") or {}, dict):
        raise UserError(f"{path}: an included file is a mapping with models: and optionally meta:")
    models = _need(raw, "models", list, str(path))
    return tuple(_model(m, f"{path} models[{i}]", analyses, raw.get("meta")) for i, m in enumerate(models))


def load_study(path: str | Path) -> Study:
    path = Path(path)
    raw = _yaml(path, "study file")
    if not isinstance(raw, dict):
        raise UserError(f"{path}: a study file is a mapping (name, output, models, ...)")
    known = {"name", "output", "models", "executor", "workers", "slurm", "analyses", "suite", "limit", "laws",
             "laws_limit", "n_boot", "seed", "include", "text_suite", "text_limit"}
    unknown = set(raw) - known
    if unknown:
        raise UserError(f"{path}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    analyses = tuple(raw.get("analyses", ANALYSES))
    models = _need(raw, "models", list, str(path))
    entries = tuple(_model(m, f"{path} models[{i}]", analyses) for i, m in enumerate(models))
    for other in raw.get("include") or []:
        entries += _included(path.parent / str(other), analyses)
    names = [m.name for m in entries]
    if len(set(names)) != len(names):
        raise UserError(f"{path}: model names must be unique (each is a directory of the output)")
    executor = raw.get("executor", "local")
    if executor not in EXECUTORS:
        raise UserError(f"{path}: executor {executor!r}: use one of {', '.join(EXECUTORS)}")
    variants = []
    for i, v in enumerate(raw.get("laws") or [{}]):
        if not isinstance(v, dict) or set(v) - set(LAWS_KEYS):
            raise UserError(f"{path} laws[{i}]: a mapping of {', '.join(LAWS_KEYS)}")
        from iitbench.laws.protocol import QUERY_MODES

        if v.get("queries", "all") not in QUERY_MODES:
            raise UserError(f"{path} laws[{i}]: queries {v['queries']!r}: use one of {', '.join(QUERY_MODES)}")
        variants.append(LawsVariant(**v))
    workers = raw.get("workers", 1)
    if not isinstance(workers, int) or workers < 1:
        raise UserError(f"{path}: workers must be a positive integer")
    output = Path(_need(raw, "output", str, str(path)))
    if not output.is_absolute():
        output = path.parent / output  # relative to the study file, so a study runs from anywhere
    limits = {key: raw.get(key) for key in ("limit", "text_limit", "laws_limit")}
    bad = [k for k, v in limits.items() if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1)]
    if bad:
        raise UserError(f"{path}: {bad[0]} must be a positive integer or null, got {limits[bad[0]]!r}")
    text_limit = limits["text_limit"] if "text_limit" in raw else limits["limit"]
    return Study(name=str(raw.get("name", path.stem)), output=output, models=entries, executor=executor,
                 workers=workers, slurm=dict(raw.get("slurm") or {}),
                 suite=os.path.expandvars(str(raw.get("suite", "iit"))), limit=limits["limit"],
                 text_suite=os.path.expandvars(str(raw.get("text_suite", "text"))), text_limit=text_limit,
                 laws=tuple(variants), laws_limit=raw.get("laws_limit"),
                 n_boot=int(raw.get("n_boot", 1000)), seed=int(raw.get("seed", 0)))


__all__ = ["ANALYSES", "EXECUTORS", "OPTIONAL", "LawsVariant", "ModelEntry", "Study", "load_study"]
