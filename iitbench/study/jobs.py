"""One model's jobs of a study: IIT run, text forgetting against its base, LAWS under each variant.

Each job writes an ordinary iitbench output directory under OUTPUT/<model>/ (the same files the CLI writes) and is
skipped when its main file is already there, so an interrupted study resumes where it stopped. The adapter is loaded
once per model and shared by its jobs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iitbench.study.config import ModelEntry, Study
from iitbench.study.derived import GITIGNORE, without_context, write_scored

MODEL_FILE = "model.json"


def model_dir(spec: str) -> Path | None:
    """The local directory behind a model spec (`wings:DIR`, `hf-causal:DIR`, a zoo name), when there is one."""
    from iitbench.zoo import WEIGHTS_DIR

    name, _, path = spec.partition(":")
    if path:
        return Path(path).expanduser() if Path(path).expanduser().is_dir() else None
    return WEIGHTS_DIR / name if (WEIGHTS_DIR / name).is_dir() else None


def describe_model(entry: ModelEntry) -> dict[str, Any]:
    """What tables need about a model without its weights: the study's meta, plus its zoo card's recipe facts."""
    info: dict[str, Any] = {"name": entry.name, "model": entry.model, "base": entry.base, **entry.meta}
    directory = model_dir(entry.model)
    card_path = directory / "zoo_card.json" if directory is not None else None
    if card_path is not None and card_path.is_file():
        card = json.loads(card_path.read_text(encoding="utf-8"))
        stages = card.get("stages") or []
        llm_lrs = [s["learning_rates"].get("llm") for s in stages
                   if any(k == "llm" or k.startswith("llm_") for k in s.get("trainable_parameters", {}))]
        info.setdefault("method", card.get("method"))
        info.setdefault("seed", card.get("seed"))
        info.setdefault("recipe_hash", card.get("recipe_hash"))
        info.setdefault("lr_llm", max(llm_lrs) if llm_lrs else None)  # None: the LLM stayed frozen
        info.setdefault("lr_projector", max((s["learning_rates"].get("projector") or 0) for s in stages)
                        if stages else None)
        info.setdefault("steps", sum(s.get("steps", 0) for s in stages))
        info.setdefault("trained", sorted({k for s in stages for k in s.get("trainable_parameters", {})}))
        mm = (card.get("eval") or {}).get("mm") or {}
        info.setdefault("mm_acc", mm.get("mean"))  # the zoo's multimodal suite, scored when the model was built
        info.setdefault("mm_n", mm.get("n"))
    return info


def run_model(study: Study, entry: ModelEntry) -> dict[str, str]:
    """Run every job of `entry` not done yet; returns {job: "done" | "skipped"}."""
    from iitbench import api
    from iitbench.api.models import resolve_model

    out = study.output / entry.name
    out.mkdir(parents=True, exist_ok=True)
    (study.output / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    (out / MODEL_FILE).write_text(json.dumps(describe_model(entry), indent=2, sort_keys=True) + "\n",
                                  encoding="utf-8")
    status: dict[str, str] = {}
    todo = {"iit": "iit" in entry.analyses and not (out / "iit" / "results.json").is_file(),
            "context": "context" in entry.analyses and not (out / "context" / "results.json").is_file(),
            "forgetting": "forgetting" in entry.analyses and not (out / "forgetting" / "forgetting.json").is_file()}
    laws_todo = [v for v in study.laws if "laws" in entry.analyses
                 and not (out / f"laws-{v.key}" / "laws_summary.json").is_file()]
    if not any(todo.values()) and not laws_todo:
        return {job: "skipped" for job in entry.analyses}
    adapter = resolve_model(entry.model, dict(entry.model_args)).adapter
    adapter.spec = entry.model  # results record the study's spec
    if todo["iit"]:
        run = api.evaluate(adapter, study.suite, limit=study.limit, seed=study.seed, output=out / "iit",
                           progress=False)
        write_scored(run.run_dir)
    if todo["context"]:
        from iitbench.api.suites import resolve_suite
        from iitbench.data.manifest import load_dataset_dir

        cut = without_context(load_dataset_dir(resolve_suite(study.suite, study.seed)[0]),
                              study.output / "_data" / "no-context")
        run = api.evaluate(adapter, cut.root, limit=study.limit, seed=study.seed, output=out / "context",
                           progress=False)
        write_scored(run.run_dir)
    if todo["forgetting"]:
        api.forgetting(adapter, entry.base, suite="text", limit=study.limit, seed=study.seed, n_boot=study.n_boot,
                       output=out / "forgetting", progress=False)
    for variant in laws_todo:
        api.attention_shift(adapter, study.suite, limit=study.laws_limit, seed=study.seed, n_boot=study.n_boot,
                            segments=variant.segments, sinks=variant.sinks, head_reduction=variant.head_reduction,
                            per_query_norm=variant.per_query_norm, output=out / f"laws-{variant.key}")
    for job, pending in todo.items():
        if job in entry.analyses:
            status[job] = "done" if pending else "skipped"
    if "laws" in entry.analyses:
        status["laws"] = "done" if laws_todo else "skipped"
    return status


__all__ = ["MODEL_FILE", "describe_model", "model_dir", "run_model"]
