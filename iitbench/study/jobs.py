"""One model's jobs of a study: IIT run, text forgetting against its base, LAWS under each variant, diagnose.

Each job writes an ordinary iitbench output directory under OUTPUT/<model>/ (the same files the CLI writes) and is
skipped when its main file is already there, so an interrupted study resumes where it stopped. The adapter is loaded
once per model and shared by its jobs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from iitbench.errors import UserError
from iitbench.schema import RUN_FILE, SAMPLES_FILE
from iitbench.study.config import ModelEntry, Study
from iitbench.study.derived import GITIGNORE, without_context, write_scored
from iitbench.study.tables import DIAGNOSE_FILE

MODEL_FILE = "model.json"


def model_dir(spec: str) -> Path | None:
    """The local directory behind a model spec (`wings:DIR`, `hf-causal:DIR`, a zoo name), when there is one."""
    from iitbench.zoo import WEIGHTS_DIR

    name, _, path = spec.partition(":")
    if path:
        return Path(path).expanduser() if Path(path).expanduser().is_dir() else None
    return WEIGHTS_DIR / name if (WEIGHTS_DIR / name).is_dir() else None


def recipe_key(recipe: dict[str, Any]) -> str:
    """A recipe without its name and seed, hashed: equal for the seed replicates of one recipe, so tables can treat
    them as one cluster (their recipe_hash differs, as it covers the seed)."""
    same = {k: v for k, v in recipe.items() if k not in ("name", "seed")}
    return hashlib.sha256(json.dumps(same, sort_keys=True).encode()).hexdigest()[:16]


def card_facts(card: dict[str, Any]) -> dict[str, Any]:
    """model.json's recipe facts from a zoo card. Per stage: its steps and the learning rate of every group it
    trained (`lr`; LLM parts train at the LLM's rate). Summaries: lr_llm, the highest LLM rate of a stage that trains
    the LLM (None: frozen); lr_projector, the projector's rate in the last stage that trains it (the fine-tune, where
    the split and uniform-low schemes differ; a maximum over stages would make them look alike)."""
    stages = []
    for s in card.get("stages") or []:
        rates = s.get("learning_rates") or {}
        stages.append({"name": s.get("name"), "steps": s.get("steps", 0),
                       "lr": {g: rates.get(g, rates.get("llm")) for g in sorted(s.get("trainable_parameters", {}))}})
    llm_lrs = [v for s in stages for g, v in s["lr"].items() if g == "llm" or g.startswith("llm_")]
    projector = [s["lr"]["projector"] for s in stages if "projector" in s["lr"]]
    mm = (card.get("eval") or {}).get("mm") or {}
    if card.get("merge"):  # a merge (iitbench/merge.py) trained nothing: its LLM moved by interpolation (alpha > 0)
        alpha = float((card.get("recipe") or {}).get("alpha", 0.0))
        return {"method": card.get("method"), "seed": card.get("seed"), "recipe_hash": card.get("recipe_hash"),
                "recipe_key": recipe_key(card["recipe"]) if card.get("recipe") else None, "stages": [],
                "lr_llm": None, "lr_projector": None, "steps": 0, "trained": [], "merge_alpha": alpha,
                "merge_source": (card.get("recipe") or {}).get("source"), "llm_trained": alpha > 0,
                "mm_acc": mm.get("mean"), "mm_n": mm.get("n")}
    # real family: a replicate shares stage 1 (the build's seed) and re-draws stage 2, so stage 2's seed tells it apart
    seed = card["stage2_seed"] if card.get("stage2_seed") is not None else card.get("seed")
    return {"method": card.get("method"), "seed": seed, "recipe_hash": card.get("recipe_hash"),
            "recipe_key": recipe_key(card["recipe"]) if card.get("recipe") else None, "stages": stages,
            "lr_llm": max(llm_lrs) if llm_lrs else None, "lr_projector": projector[-1] if projector else None,
            "steps": sum(s["steps"] for s in stages), "trained": sorted({g for s in stages for g in s["lr"]}),
            "mm_acc": mm.get("mean"), "mm_n": mm.get("n")}  # mm: the zoo's multimodal suite, scored at build time


def recipe_card(recipe: Any) -> dict[str, Any]:
    """The recipe part of the zoo card an MLLM recipe builds (stages' trained groups and learning rates, as
    wings_ref's TrainConfig resolves them), without training: how the committed deep-zoo model.json files got their
    per-stage rates (tests/study/test_model_cards.py checks them against iitbench/zoo/deep.py)."""
    from iitbench.zoo.recipes import recipe_dict, recipe_hash
    from wings_ref.train.config import TrainConfig

    stages = []
    for s in recipe.stages:
        cfg = TrainConfig(model_path="-", data_path="-", output_dir="-", stage=s.stage, train=s.train,
                          lr_projector=s.lr_projector, lr_learners=s.lr_learners, lr_llm=s.lr_llm,
                          lr_router=s.lr_router)
        stages.append({"name": s.name, "steps": s.steps, "learning_rates": cfg.learning_rates(),
                       "trainable_parameters": {g: None for g in cfg.trained_groups()}})
    return {"method": recipe.method, "recipe": recipe_dict(recipe), "recipe_hash": recipe_hash(recipe),
            "stages": stages}


def describe_model(entry: ModelEntry) -> dict[str, Any]:
    """What tables need about a model without its weights: the study's meta, plus its zoo card's recipe facts."""
    info: dict[str, Any] = {"name": entry.name, "model": entry.model, "base": entry.base, **entry.meta}
    directory = model_dir(entry.model)
    card_path = directory / "zoo_card.json" if directory is not None else None
    if card_path is not None and card_path.is_file():
        for key, value in card_facts(json.loads(card_path.read_text(encoding="utf-8"))).items():
            info.setdefault(key, value)
    return info


NO_DIAGNOSE = ("the study lists the diagnose analysis, but this iitbench has no iitbench.api.diagnose yet "
               "(iitbench/diagnose/); drop diagnose from analyses")


def diagnose_api():
    """`iitbench.api.diagnose` (a function, or a module holding one of that name), or None where this iitbench
    predates it. Called as diagnose(adapter, base, suite=, iit_suite=, limit=, iit_limit=, seed=, n_boot=, output=,
    progress=), writing OUTPUT/diagnose.json (schema: iitbench/diagnose/assemble.py)."""
    from iitbench import api

    found = getattr(api, "diagnose", None)
    if found is None:
        try:
            from importlib import import_module

            found = import_module("iitbench.api.diagnose")
        except ImportError:
            return None
    found = found if callable(found) else getattr(found, "diagnose", None)
    return found if callable(found) else None


def check_available(study: Study) -> None:
    """Refuse, before any model runs, a study whose analyses this iitbench cannot run."""
    if any("diagnose" in e.analyses for e in study.models) and diagnose_api() is None:
        raise UserError(NO_DIAGNOSE)


BASE_RUN_FILES = (RUN_FILE, SAMPLES_FILE)  # what a resumed run reads; results.json is rewritten from them


def shared_base_run(study: Study, entry: ModelEntry, adapter) -> Path:
    """Where the study keeps the base LLM's text run, shared by every model with that base: the base is scored
    on the same items with the same prompts for each of them (forgetting uses one answer format for both models:
    the suite's, else the MLLM's), so it runs once. Keyed by everything in that run's identity the study knows."""
    from iitbench.api.suites import resolve_suite
    from iitbench.data.manifest import load_dataset_dir

    path, _ = resolve_suite(study.text_suite, study.seed)
    card = load_dataset_dir(path).card
    answer_format = card.build.get("candidates") or adapter.capabilities.candidates
    key = [entry.base, str(Path(path).resolve()), card.fingerprint, answer_format, study.seed]
    return study.output / "_base" / hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:16]


def reuse_base_run(shared: Path, target: Path) -> None:
    """Start `target` from the shared base run (the runner resumes it: nothing is scored again)."""
    if target.exists() or not all((shared / f).is_file() for f in BASE_RUN_FILES):
        return
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in BASE_RUN_FILES:
        shutil.copyfile(shared / name, tmp / name)
    os.replace(tmp, target)


def publish_base_run(run: Path, shared: Path) -> None:
    """Keep a finished base run for the next model (first writer wins; a parallel worker's copy is dropped)."""
    if shared.exists() or not all((run / f).is_file() for f in BASE_RUN_FILES):
        return
    tmp = shared.with_name(f"{shared.name}.{os.getpid()}.partial")
    tmp.mkdir(parents=True, exist_ok=True)
    for name in BASE_RUN_FILES:
        shutil.copyfile(run / name, tmp / name)
    try:
        os.replace(tmp, shared)
    except OSError:  # another worker published first
        shutil.rmtree(tmp, ignore_errors=True)


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
            "forgetting": "forgetting" in entry.analyses and not (out / "forgetting" / "forgetting.json").is_file(),
            "diagnose": "diagnose" in entry.analyses and not (out / DIAGNOSE_FILE).is_file()}
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
        shared = shared_base_run(study, entry, adapter)
        reuse_base_run(shared, out / "forgetting" / "base")
        api.forgetting(adapter, entry.base, suite=study.text_suite, limit=study.text_limit, seed=study.seed,
                       n_boot=study.n_boot, output=out / "forgetting", progress=False)
        publish_base_run(out / "forgetting" / "base", shared)
    if todo["diagnose"]:
        diagnose = diagnose_api()
        if diagnose is None:
            raise UserError(NO_DIAGNOSE)
        # text items as `forgetting` uses them; image dialogues for mixing from the study's suite, as many as LAWS
        diagnose(adapter, entry.base, suite=study.text_suite, iit_suite=study.suite, limit=study.text_limit,
                 iit_limit=study.laws_limit, seed=study.seed, n_boot=study.n_boot, output=out / DIAGNOSE_FILE.parent,
                 progress=False)
    for variant in laws_todo:
        api.attention_shift(adapter, study.suite, limit=study.laws_limit, seed=study.seed, n_boot=study.n_boot,
                            segments=variant.segments, sinks=variant.sinks, head_reduction=variant.head_reduction,
                            per_query_norm=variant.per_query_norm, queries=variant.queries,
                            output=out / f"laws-{variant.key}")
    for job, pending in todo.items():
        if job in entry.analyses:
            status[job] = "done" if pending else "skipped"
    if "laws" in entry.analyses:
        status["laws"] = "done" if laws_todo else "skipped"
    return status


__all__ = ["MODEL_FILE", "card_facts", "check_available", "describe_model", "diagnose_api", "model_dir",
           "recipe_card", "recipe_key", "run_model"]
