"""Train a zoo MLLM (llava-tiny, wings-tiny, sweep variants): assemble, run each stage through `wings_ref.train`.

    make_mllm(out, recipe, seed, base_dir, vision_dir, work_dir) -> out   (weights + tokenizer + processor + card)

Every stage's `TrainConfig` is generated from the recipe and trained in `work_dir/stages/<key>/`, where `key` hashes
everything that decides the stage's weights (backbone cards, assembly, data, the stage chain so far, seed). A finished
stage (its `train_log.json` has the same config hash) is reused, so an interrupted build resumes at stage
granularity and sweep variants that share a prefix of stages (e.g. the same WINGS stage 1) train it once.

STEP_SECONDS and STAGE_OVERHEAD_SECONDS come from the shipped build's measured stage times (benchmarks/RESULTS.md,
"Zoo build times and recipe measurements"), for the sweep's estimate.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from iitbench.zoo.assemble import AssembleSpec, assemble_wings
from iitbench.zoo.recipes import LLMRecipe, MLLMRecipe, StageRecipe, recipe_hash

# Idle 2-core wall seconds per optimiser step (batch 8) per stage kind, from the measured build timings (see the
# module docstring); the sweep's budget estimate uses these.
STEP_SECONDS = {"naive-projector": 0.05, "naive-full": 0.09, "wings-1": 0.09, "wings-2": 0.145}
# Fixed cost of one stage (load the model, tokenise the data, build the Trainer), idle seconds.
STAGE_OVERHEAD_SECONDS = 3.0
ALIGN_FILE = "align.json"


@dataclass(frozen=True)
class MMData:
    mix: Path  # llava.json: every record
    align: Path  # align.json: single-turn image questions only (stage 1 / warm-up)
    n_records: int
    n_text_only: int
    n_align: int


def _key(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def prepare_data(data_dir: Path, recipe: MLLMRecipe, seed: int) -> MMData:
    """Write the recipe's LLaVA data (once per spec + seed) and its alignment subset."""
    return prepare_spec_data(data_dir, recipe.data, seed)


def prepare_spec_data(data_dir: Path, spec, seed: int) -> MMData:
    """`prepare_data` for a LlavaDataSpec (the real family's recipes are not MLLMRecipes)."""
    from dataclasses import replace

    from iitbench.zoo.llava_data import JSON_FILE, write_llava_data

    spec = replace(spec, seed=seed)
    root = Path(data_dir) / _key(asdict(spec))[:16]
    mix, align, stamp = root / JSON_FILE, root / ALIGN_FILE, root / "done"
    if not stamp.is_file():
        write_llava_data(root, spec)
        records = json.loads(mix.read_text(encoding="utf-8"))
        aligned = [r for r in records if "image" in r and len(r["conversations"]) == 2]
        align.write_text(json.dumps(aligned, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        stamp.write_text("ok\n", encoding="utf-8")
    records = json.loads(mix.read_text(encoding="utf-8"))
    n_text = sum("image" not in r for r in records)
    return MMData(mix, align, len(records), n_text, len(json.loads(align.read_text(encoding="utf-8"))))


def base_corpus_recipe(base_dir: Path, fallback: LLMRecipe, seed: int) -> LLMRecipe:
    """The recipe base-tiny was really built with (from its card, corpus seed included); else `fallback` at `seed`."""
    from dataclasses import fields, replace

    from iitbench.zoo.cards import read_card
    from iitbench.zoo.corpus import CorpusSpec

    try:
        saved = dict(read_card(base_dir)["recipe"])
    except (OSError, KeyError, ValueError):
        return replace(fallback, corpus=replace(fallback.corpus, seed=seed))
    known = {f.name for f in fields(LLMRecipe)}
    corpus = CorpusSpec(**saved.pop("corpus"))
    return LLMRecipe(**{k: v for k, v in saved.items() if k in known and k != "corpus"}, corpus=corpus)


def new_token_ids(tokenizer, data: MMData, base_recipe: LLMRecipe, image_token_id: int) -> list[int]:
    """Ids the MLLM data uses (as the trainer encodes it) that base-tiny's training corpus never contained."""
    from iitbench.zoo.base_llm import corpus_docs
    from iitbench.zoo.corpus import build_corpus
    from wings_ref.train.data import ChatEncoding, encode_record
    from wings_ref.train.records import load_records

    corpus = build_corpus(base_recipe.corpus)
    seen = {t for doc in corpus_docs(tokenizer, corpus, base_recipe.instruction_loss) for t in doc.ids}
    encode = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    fmt = ChatEncoding(encode, image_token_id, 1)
    records, _ = load_records(str(data.mix), str(data.mix.parent), False)
    used: set[int] = set()
    for record in records:
        sample = encode_record(record, fmt, 10**6)
        used.update(getattr(sample, "input_ids", ()))
    return sorted(used - seen - {image_token_id})


def stage_config(recipe: MLLMRecipe, stage: StageRecipe, model_path: Path, data: MMData, out: Path, seed: int,
                 init_ids: list[int]):
    """The wings_ref TrainConfig of one recipe stage."""
    from wings_ref.train.config import TrainConfig

    return TrainConfig(
        model_path=str(model_path), data_path=str(data.align if stage.data == "align" else data.mix),
        output_dir=str(out), stage=stage.stage, image_root=str(data.mix.parent), train=stage.train,
        lr_projector=stage.lr_projector, lr_learners=stage.lr_learners, lr_llm=stage.lr_llm,
        lr_router=stage.lr_router, weight_decay=recipe.weight_decay, warmup_ratio=recipe.warmup_ratio,
        max_steps=stage.steps, per_device_train_batch_size=recipe.batch_size, max_length=recipe.max_length,
        seed=seed, init_new_tokens=tuple(init_ids), save_steps=10**9, logging_steps=max(1, stage.steps // 10),
        use_cpu=True, extra={"recipe_stage": stage.name})  # no recipe name: equal chains share the stage dir


def _finished(out: Path, config) -> dict | None:
    log = out / "train_log.json"
    if not log.is_file():
        return None
    data = json.loads(log.read_text(encoding="utf-8"))
    return data if data.get("config_hash") == config.config_hash() else None


def run_stage(config) -> tuple[dict, float, bool]:
    """Train one stage (or reuse its finished output); returns (train_log, seconds, reused)."""
    from wings_ref.train import build_run, train

    done = _finished(Path(config.output_dir), config)
    if done is not None:
        return done, float(done.get("zoo_train_seconds", 0.0)), True
    shutil.rmtree(config.output_dir, ignore_errors=True)  # a half-written stage starts over
    t0 = time.perf_counter()
    result = train(build_run(config))
    seconds = time.perf_counter() - t0
    path = Path(config.output_dir) / "train_log.json"
    result["zoo_train_seconds"] = round(seconds, 1)
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for stale in Path(config.output_dir).glob("checkpoint-*"):
        shutil.rmtree(stale, ignore_errors=True)
    return result, seconds, False


def upstream(base_dir: Path, vision_dir: Path, base: str = "base-tiny") -> dict[str, str]:
    """Recipe hashes of the backbones, keyed by their zoo names (a card is current only with the same ones)."""
    from iitbench.zoo.cards import read_card

    out = {}
    for name, path in ((base, base_dir), ("siglip-tiny", vision_dir)):
        try:
            out[name] = read_card(path)["recipe_hash"]
        except (OSError, KeyError, ValueError):
            out[name] = "no-card"
    return out


def train_mllm(recipe: MLLMRecipe, seed: int, base_dir: Path, vision_dir: Path, work_dir: Path,
               base_recipe: LLMRecipe, log: Callable[[str], None]) -> dict[str, Any]:
    """Assemble + every stage; returns a summary with the final stage dir."""
    import torch

    from iitbench.zoo.tokenizer import IMAGE, load_tokenizer

    torch.set_num_threads(recipe.threads)
    work_dir = Path(work_dir)
    ups = upstream(base_dir, vision_dir, recipe.base)
    data = prepare_data(work_dir / "data", recipe, seed)
    spec = AssembleSpec(use_learners=recipe.use_learners, learner_rank=recipe.learner_rank, seed=seed)
    init = work_dir / "init" / _key([ups, asdict(spec)])[:16]
    if not (init / "model.safetensors").is_file():
        assemble_wings(base_dir, vision_dir, init, spec)
    tokenizer = load_tokenizer(base_dir)
    base_recipe = base_corpus_recipe(base_dir, base_recipe, seed)
    ids = new_token_ids(tokenizer, data, base_recipe, tokenizer.convert_tokens_to_ids(IMAGE)) \
        if recipe.init_new_tokens else []
    chain: list[Any] = [ups, asdict(spec), asdict(recipe.data), seed, recipe.batch_size, recipe.max_length,
                        recipe.warmup_ratio, recipe.weight_decay, ids]
    model_path, stages = init, []
    for i, stage in enumerate(recipe.stages):
        chain.append(asdict(stage))
        key = _key(chain)[:16]
        out = work_dir / "stages" / key
        # mean-embedding init happens once, before the first stage; later stages start from trained rows
        config = stage_config(recipe, stage, model_path, data, out, seed, ids if i == 0 else [])
        train_log, seconds, reused = run_stage(config)
        log(f"{recipe.name}: {stage.name} ({stage.steps} steps, trains {', '.join(config.trained_groups())}) "
            f"{'reused' if reused else f'{seconds:.0f}s'}, final loss {train_log['losses'][-1]['loss']:.3f}"
            if train_log.get("losses") else f"{recipe.name}: {stage.name} done")
        stages.append({"name": stage.name, "stage": stage.stage, "work_key": key, "steps": stage.steps,
                       "seconds": round(seconds, 1), "reused": reused,
                       "trainable_parameters": train_log["trainable_parameters"],
                       "learning_rates": train_log["learning_rates"], "train_loss": train_log["train_loss"],
                       "config_hash": train_log["config_hash"]})
        model_path = out
    return {"final": model_path, "stages": stages, "upstream": ups, "data": data, "new_token_ids": ids,
            "tokenizer": tokenizer}


def _portable_config(path: Path, base: str = "base-tiny") -> None:
    """Name the backbones by zoo name, not by the build machine's directories (shipped configs carry no local paths)."""
    config = json.loads(path.read_text(encoding="utf-8"))
    for key, name in (("text_config", base), ("vision_config", "siglip-tiny")):
        if isinstance(config.get(key), dict) and "_name_or_path" in config[key]:
            config[key]["_name_or_path"] = name
    from iitbench.zoo.corpus import ANSWER_FORMAT

    config["answer_format"] = ANSWER_FORMAT  # the adapters read it: scored on option texts by default
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def export_model(final: Path, out: Path, tokenizer, base: str = "base-tiny") -> None:
    """Copy the final stage's weights + config and write the tokenizer and processor files into `out`."""
    from wings_ref import WingsConfig
    from wings_ref.processing_wings import WingsProcessor

    out.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "generation_config.json", "model.safetensors"):
        if (final / name).is_file():
            shutil.copy2(final / name, out / name)
    _portable_config(out / "config.json", base)
    WingsProcessor.from_config(tokenizer, WingsConfig.from_pretrained(final)).save_pretrained(out)


def make_mllm(out: Path, recipe: MLLMRecipe, seed: int, base_dir: Path, vision_dir: Path, work_dir: Path,
               base_recipe: LLMRecipe, log: Callable[[str], None], evaluate: bool = True) -> Path:
    """Train `recipe`, export to `out`, evaluate (text + mm suites through `wings:`), write `zoo_card.json`."""
    from iitbench.zoo.cards import write_card
    from iitbench.zoo.evaluate import evaluate_mm_suite, evaluate_suite, paired_vs_base

    out = Path(out)
    summary = train_mllm(recipe, seed, base_dir, vision_dir, work_dir, base_recipe, log)
    export_model(summary["final"], out, summary["tokenizer"], recipe.base)
    evaluation: dict[str, Any] = {}
    t0 = time.perf_counter()
    if evaluate:
        text = evaluate_suite("text", out, limit=recipe.eval_limit, adapter="wings", items=True)
        base = evaluate_suite("text", base_dir, limit=recipe.eval_limit, adapter="hf-causal", items=True)
        paired = paired_vs_base(text.pop("records"), base["records"])  # this recipe's forgetting, item by item
        evaluation = {"text": text, "mm": evaluate_mm_suite(out, seed=0, limit=recipe.eval_limit),
                      "text_vs_base": paired}
        ci = paired["delta_ci95"] or [float("nan")] * 2
        log(f"{recipe.name}: text mean {text['mean']:.3f} ({100 * paired['delta']:+.1f} vs {recipe.base}, 95% CI "
            f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]), mm mean {evaluation['mm']['mean']:.3f} "
            f"({time.perf_counter() - t0:.0f}s)")
    from wings_ref import WingsForConditionalGeneration

    params = sum(p.numel() for p in WingsForConditionalGeneration.from_pretrained(out).parameters())
    data: MMData = summary["data"]
    write_card(out, recipe=recipe, seed=seed, train_seconds=sum(s["seconds"] for s in summary["stages"]),
               parameters=params,
               data={"records": data.n_records, "text_only_records": data.n_text_only,
                     "text_only_share": round(data.n_text_only / max(1, data.n_records), 4),
                     "align_records": data.n_align, "new_token_ids": summary["new_token_ids"]},
               evaluation=evaluation,
               extra={"stages": summary["stages"], "upstream": summary["upstream"], "method": recipe.method,
                      "eval_seconds": round(time.perf_counter() - t0, 1),
                      "base": recipe.base, "vision": "siglip-tiny", "tokenizer": "tokenizer"})
    return out


def card_is_current(out: Path, recipe: MLLMRecipe, seed: int, base_dir: Path, vision_dir: Path) -> bool:
    """True when `out` holds this recipe's build (same hash, seed and upstream backbones): skip it."""
    from iitbench.zoo.cards import read_card

    try:
        card = read_card(out)
    except (OSError, ValueError):
        return False
    return (card.get("recipe_hash") == recipe_hash(recipe) and card.get("seed") == seed
            and card.get("upstream") == upstream(base_dir, vision_dir, recipe.base)
            and (out / "model.safetensors").is_file())


def micro_recipe(method: str) -> MLLMRecipe:
    """A 2-steps-per-stage version of llava-tiny / wings-tiny on a handful of records, for tests."""
    from dataclasses import replace

    from iitbench.zoo.llava_data import LlavaDataSpec
    from iitbench.zoo.recipes import LLAVA_TINY, WINGS_TINY

    base = LLAVA_TINY if method == "naive" else WINGS_TINY
    return replace(base, stages=tuple(replace(s, steps=2) for s in base.stages), learner_rank=4, batch_size=2,
                   data=LlavaDataSpec(n_visual_per_family=1, n_text_per_family=0, n_mixed=6,
                                      configs=("T", "TV", "V")), eval_limit=4)


__all__ = ["MMData", "STAGE_OVERHEAD_SECONDS", "STEP_SECONDS", "make_mllm", "card_is_current", "export_model",
           "base_corpus_recipe", "micro_recipe", "new_token_ids", "prepare_data", "prepare_spec_data", "run_stage",
           "stage_config", "train_mllm", "upstream"]
