"""Build one member of the real-LLM family (iitbench/zoo/real.py) into `out/`, resumably.

    make_real(out, recipe, seed, out_dir, work_dir)       an MLLM: shared stage 1, its stage 2, export, card
    make_merge(out, recipe, out_dir, work_dir)            a merge of a built member with the base (iitbench/merge.py)

Intermediate folders live in `work_dir/real/` under keys that hash everything deciding their weights (the base's
identity, the tower's recipe hash, the data, every stage so far, seeds), so equal prefixes are shared: stage 1 is
trained once for the whole family. Each stage runs under a file lock (a second process building another member waits
for stage 1 instead of training it again) and checkpoints every `save_steps` steps (the last checkpoint kept): a
build killed mid-stage resumes from its last complete checkpoint (one whose trainer_state.json, written last, reads
back), and a finished stage (train_log.json with the same config hash) is reused. A member whose card has the same
recipe hash, seeds and upstream identities is skipped by `iitbench zoo build` (card_is_current).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from iitbench.zoo.real import MergeRecipe, RealRecipe
from iitbench.zoo.real_assemble import Base, assemble, export, graft_learners, resolve_base


def _key(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive OS file lock on `path` (blocking; released by the OS if the holder dies)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upstream(base: Base, vision_dir: Path) -> dict[str, Any]:
    from iitbench.zoo.cards import read_card

    try:
        vision = read_card(vision_dir)["recipe_hash"]
    except (OSError, KeyError, ValueError):
        vision = "no-card"
    return {"base": base.identity, "siglip-tiny": vision}


def stage_config(recipe: RealRecipe, stage, model_path: Path, data_file: Path, image_root: Path, out: Path,
                 seed: int):
    from wings_ref.train.config import TrainConfig

    return TrainConfig(
        model_path=str(model_path), data_path=str(data_file), output_dir=str(out), stage=stage.stage,
        image_root=str(image_root), train=stage.train, lr_projector=stage.lr_projector, lr_learners=stage.lr_learners,
        lr_llm=stage.lr_llm, lr_router=stage.lr_router, weight_decay=recipe.weight_decay,
        warmup_ratio=recipe.warmup_ratio, max_steps=stage.steps, per_device_train_batch_size=recipe.batch_size,
        max_length=recipe.max_length, seed=seed, save_steps=recipe.save_steps, save_total_limit=1,
        resume_from_checkpoint="auto", logging_steps=max(1, stage.steps // 20), use_cpu=True, bf16=recipe.bf16,
        answer_logits_only=recipe.answer_logits_only, system_prompt=recipe.base.system_prompt, answer_format="text",
        extra={"recipe_stage": stage.name})


def drop_incomplete_checkpoints(out: Path) -> list[str]:
    """Remove checkpoint-N folders a kill left half-written (no readable trainer_state.json, the file the Trainer
    writes last), so resume_from_checkpoint=auto picks the last complete one."""
    dropped = []
    for ckpt in sorted(Path(out).glob("checkpoint-*")):
        try:
            json.loads((ckpt / "trainer_state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            shutil.rmtree(ckpt, ignore_errors=True)
            dropped.append(ckpt.name)
    return dropped


def run_stage(config, log: Callable[[str], None]) -> tuple[dict, float, bool]:
    """Train one stage under its lock, resuming from its last complete checkpoint; reuse it when finished."""
    from wings_ref.train import build_run, train

    out = Path(config.output_dir)
    with locked(out.parent / f"{out.name}.lock"):
        done = _finished(out, config)
        if done is not None:
            return done, float(done.get("zoo_train_seconds", 0.0)), True
        dropped = drop_incomplete_checkpoints(out)
        if dropped:
            log(f"  dropped incomplete {', '.join(dropped)}")
        t0 = time.perf_counter()
        result = train(build_run(config))
        result["zoo_train_seconds"] = round(time.perf_counter() - t0, 1)
        result["zoo_threads"] = _threads()
        (out / "train_log.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        for stale in out.glob("checkpoint-*"):
            shutil.rmtree(stale, ignore_errors=True)
        return result, result["zoo_train_seconds"], False


def _finished(out: Path, config) -> dict | None:
    try:
        data = json.loads((out / "train_log.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("config_hash") == config.config_hash() else None


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def _data(work_dir: Path, spec, seed: int):
    """The LLaVA data of `spec` at the build seed (the same records for every seed replicate); under a lock, as two
    builds side by side start by writing the same files."""
    from iitbench.zoo.mllm import prepare_spec_data

    with locked(work_dir / "data" / "prepare.lock"):
        return prepare_spec_data(work_dir / "data", spec, seed)


def train_real(recipe: RealRecipe, seed: int, base: Base, vision_dir: Path, work_dir: Path,
               log: Callable[[str], None]) -> dict[str, Any]:
    """Shared stage 1, then the recipe's stage 2; returns the final stage folder and a summary per stage."""
    root = Path(work_dir) / "real"
    ups = upstream(base, vision_dir)
    seed2 = seed if recipe.seed is None else recipe.seed
    common = [ups, asdict(recipe.base), recipe.router_width, recipe.batch_size, recipe.max_length,
              recipe.warmup_ratio, recipe.weight_decay, recipe.bf16, recipe.answer_logits_only, recipe.save_steps]
    stage1_data = _data(root, recipe.stage1_data, seed)
    init = root / "init" / _key([common, seed])
    chain = [common, seed, asdict(recipe.stage1_data), asdict(recipe.stage1)]
    stage1_out = root / "stages" / _key(chain)
    with locked(init.parent / f"{init.name}.lock"):
        if not (init / "model.safetensors").is_file():
            assemble(base, vision_dir, init, recipe.router_width, seed)
    stages = [_stage(recipe, recipe.stage1, init, stage1_data.align, stage1_data, stage1_out, seed, log)]
    start = stage1_out
    if recipe.use_learners:
        start = root / "graft" / _key([chain, recipe.learner_rank, seed2])
        with locked(start.parent / f"{start.name}.lock"):
            if not (start / "model.safetensors").is_file():
                graft_learners(stage1_out, base, start, recipe.learner_rank, seed2)
    data = _data(root, recipe.data, seed)
    chain += [recipe.method, recipe.learner_rank, asdict(recipe.data), asdict(recipe.stage2), seed2]
    final = root / "stages" / _key(chain)
    stages.append(_stage(recipe, recipe.stage2, start, data.mix, data, final, seed2, log))
    return {"final": final, "stages": stages, "upstream": ups, "data": data, "stage1_data": stage1_data,
            "seed2": seed2}


def _stage(recipe: RealRecipe, stage, model_path: Path, data_file: Path, data, out: Path, seed: int,
           log: Callable[[str], None]) -> dict[str, Any]:
    config = stage_config(recipe, stage, model_path, data_file, data.mix.parent, out, seed)
    train_log, seconds, reused = run_stage(config, log)
    steps = max(1, int(train_log.get("global_step") or stage.steps))
    log(f"{recipe.name}: {stage.name} ({stage.steps} steps, trains {', '.join(config.trained_groups())}) "
        f"{'reused' if reused else f'{seconds:.0f}s ({seconds / steps:.2f} s/step)'}")
    return {"name": stage.name, "stage": stage.stage, "work_key": out.name, "steps": stage.steps,
            "seconds": round(seconds, 1), "seconds_per_step": round(seconds / steps, 3), "reused": reused,
            "threads": train_log.get("zoo_threads"), "trainable_parameters": train_log["trainable_parameters"],
            "learning_rates": train_log["learning_rates"], "train_loss": train_log["train_loss"],
            "resumed_from": train_log.get("resumed_from"), "config_hash": train_log["config_hash"]}


def base_text_records(base: Base, work_dir: Path, limit: int | None) -> list[dict]:
    """The base LLM's text-suite answers (the cards' forgetting pair), computed once per base and limit."""
    from iitbench.zoo.evaluate import evaluate_suite

    path = Path(work_dir) / "real" / "base-eval" / f"{_key([base.identity, limit])}.json"
    with locked(path.with_suffix(".lock")):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        records = evaluate_suite("text", base.folder, limit=limit, adapter="hf-causal", items=True)["records"]
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(records), encoding="utf-8")
        os.replace(tmp, path)
        return records


def evaluate_member(out: Path, base: Base, work_dir: Path, limit: int | None) -> dict[str, Any]:
    """Text and mm suites through `wings:` and the text delta vs the base, paired per item (as the zoo's cards)."""
    from iitbench.zoo.evaluate import evaluate_mm_suite, evaluate_suite, paired_vs_base

    text = evaluate_suite("text", out, limit=limit, adapter="wings", items=True)
    paired = paired_vs_base(text.pop("records"), base_text_records(base, work_dir, limit))
    return {"text": text, "mm": evaluate_mm_suite(out, seed=0, limit=limit), "text_vs_base": paired}


def _summary(name: str, evaluation: dict[str, Any]) -> str:
    paired = evaluation["text_vs_base"]
    return (f"{name}: text {evaluation['text']['mean']:.3f} ({100 * paired['delta']:+.1f} vs base), "
            f"mm {evaluation['mm']['mean']:.3f} (chance 0.25)")


def make_real(out: Path, recipe: RealRecipe, seed: int, out_dir: Path, vision_dir: Path, work_dir: Path,
              log: Callable[[str], None], evaluate: bool = True) -> Path:
    from iitbench.zoo.cards import write_card

    out, base = Path(out), resolve_base(recipe.base, out_dir)
    summary = train_real(recipe, seed, base, vision_dir, work_dir, log)
    export(summary["final"], out, base)
    t0 = time.perf_counter()
    evaluation = evaluate_member(out, base, work_dir, recipe.eval_limit) if evaluate else {}
    if evaluation:
        log(_summary(recipe.name, evaluation))
    data = summary["data"]
    write_card(out, recipe=recipe, seed=seed, train_seconds=sum(s["seconds"] for s in summary["stages"]),
               parameters=_parameters(out),
               data={"records": data.n_records, "text_only_records": data.n_text_only,
                     "text_only_share": round(data.n_text_only / max(1, data.n_records), 4),
                     "stage1_records": summary["stage1_data"].n_align},
               evaluation=evaluation,
               extra={"stages": summary["stages"], "upstream": summary["upstream"], "method": recipe.method,
                      "stage2_seed": summary["seed2"], "eval_seconds": round(time.perf_counter() - t0, 1),
                      "base": recipe.base.name, "vision": "siglip-tiny"})
    return out


def make_merge(out: Path, recipe: MergeRecipe, source: RealRecipe, out_dir: Path, work_dir: Path,
               log: Callable[[str], None], evaluate: bool = True) -> Path:
    from iitbench.merge import merge_models
    from iitbench.zoo.cards import read_card, write_card

    source_dir = Path(out_dir) / recipe.source
    try:
        source_card = read_card(source_dir)
    except (OSError, ValueError):
        from iitbench.errors import UserError

        raise UserError(f"{recipe.name} merges {recipe.source}, which is not built in {out_dir}; build it first "
                        f"(--only {recipe.source})") from None
    base = resolve_base(source.base, out_dir)
    out = Path(out)
    if out.exists():  # a stale merge (its source was rebuilt): start over
        shutil.rmtree(out)
    t0 = time.perf_counter()
    result = merge_models(source_dir, base.folder, recipe.alpha, out)
    seconds = time.perf_counter() - t0
    evaluation = evaluate_member(out, base, work_dir, recipe.eval_limit) if evaluate else {}
    if evaluation:
        log(_summary(recipe.name, evaluation))
    write_card(out, recipe=recipe, seed=int(source_card.get("seed", 0)), train_seconds=seconds,
               parameters=_parameters(out), data={}, evaluation=evaluation,
               extra={"merge": result.provenance, "upstream": _merge_upstream(source_card, base),
                      "method": f"merge of {recipe.source}", "base": source.base.name, "vision": "siglip-tiny"})
    return out


def _merge_upstream(source_card: dict[str, Any], base: Base) -> dict[str, Any]:
    return {"source_recipe_hash": source_card.get("recipe_hash"), "base": base.identity}


def _parameters(out: Path) -> int:
    from wings_ref.shards import find_shards

    return sum(_numel(info.shape) for info in find_shards(out).tensors.values())


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def card_is_current(out: Path, recipe, seed: int, out_dir: Path, vision_dir: Path, family: dict[str, Any]) -> bool:
    """`out` holds this member's build: same recipe hash and seed, same base and tower (merges: same source build)."""
    from iitbench.zoo.cards import read_card
    from iitbench.zoo.recipes import recipe_hash

    try:
        card = read_card(out)
    except (OSError, ValueError):
        return False
    if card.get("recipe_hash") != recipe_hash(recipe) or not (Path(out) / "model.safetensors").is_file():
        return False
    if isinstance(recipe, MergeRecipe):
        try:
            source_card = read_card(Path(out_dir) / recipe.source)
        except (OSError, ValueError):
            return False
        source = family[recipe.source]
        return card.get("upstream") == _merge_upstream(source_card, resolve_base(source.base, out_dir))
    return (card.get("seed") == seed
            and card.get("upstream") == upstream(resolve_base(recipe.base, out_dir), vision_dir))


def micro_family(base_name: str) -> dict[str, Any]:
    """Tests: a naive and a WINGS micro recipe on the base folder `base_name` (with the zoo tokenizer's <image>)."""
    from iitbench.zoo.real import RealBase, micro_recipe

    base = RealBase(name=base_name, image_token="<image>", system_prompt="You are a helpful assistant.")
    naive, wings = micro_recipe("naive", base), micro_recipe("wings", base)
    return {naive.name: naive, wings.name: wings,
            "micro-naive-merge-050": MergeRecipe("micro-naive-merge-050", naive.name, 0.5, eval_limit=4)}


__all__ = ["card_is_current", "drop_incomplete_checkpoints", "locked", "make_merge", "make_real", "micro_family",
           "run_stage", "stage_config", "train_real"]
