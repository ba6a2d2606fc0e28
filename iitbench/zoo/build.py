"""`build_zoo`: train the zoo models that exist so far (tokenizer, vision encoder, base-tiny) into `out_dir/<name>/`.

Deterministic by seed on one machine; one log line per stage with its timing. The shipped weights are this function's
output with `out_dir = iitbench.zoo.WEIGHTS_DIR` (about 2 + 7 minutes on 2 CPU cores).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from iitbench.errors import UserError
from iitbench.zoo.recipes import RECIPES, LLMRecipe, TokenizerRecipe, VisionRecipe

STAGES = ("tokenizer", "siglip-tiny", "base-tiny")


def _log(msg: str) -> None:
    print(f"[zoo] {msg}", file=sys.stderr, flush=True)


def _quiet(msg: str) -> None:
    pass


def build_tokenizer(out: Path, recipe: TokenizerRecipe, seed: int, log: Callable[[str], None] = _log) -> Path:
    log = log or _quiet
    from iitbench.zoo.cards import write_card
    from iitbench.zoo.corpus import all_texts, build_corpus
    from iitbench.zoo.tokenizer import save_tokenizer, train_tokenizer

    recipe = replace(recipe, corpus=replace(recipe.corpus, seed=seed))
    t0 = time.perf_counter()
    corpus = build_corpus(recipe.corpus)
    tok = train_tokenizer(all_texts(corpus), recipe.vocab_size)
    out.mkdir(parents=True, exist_ok=True)
    save_tokenizer(tok, out)
    seconds = time.perf_counter() - t0
    write_card(out, recipe=recipe, seed=seed, train_seconds=seconds, parameters=None,
               data={"pretrain_docs": len(corpus.pretrain), "conversations": len(corpus.instructions)},
               evaluation={"vocab_size": len(tok)})
    log(f"tokenizer: vocab {len(tok)} in {seconds:.1f}s -> {out}")
    return out


def build_vision(out: Path, recipe: VisionRecipe, seed: int, log: Callable[[str], None] = _log) -> Path:
    log = log or _quiet
    import torch

    from iitbench.zoo.cards import write_card
    from iitbench.zoo.vision import ATTRIBUTES, attribute_accuracy, load_images, save_encoder, train_vision

    torch.set_num_threads(2)
    t0 = time.perf_counter()
    data = load_images("train", recipe.n_per_family, seed, recipe.image_size)
    log(f"vision: {len(data.pixels)} train images in {time.perf_counter() - t0:.1f}s")
    c0 = time.process_time()
    result = train_vision(recipe, seed, data, log=log)
    cpu = time.process_time() - c0
    held_out = load_images("test", recipe.n_eval_per_family, seed, recipe.image_size)
    acc = attribute_accuracy(result.probe, held_out)
    out.mkdir(parents=True, exist_ok=True)
    save_encoder(result.probe, out)
    params = sum(p.numel() for p in result.probe.encoder.parameters())
    write_card(out, recipe=recipe, seed=seed, train_seconds=result.train_seconds, parameters=params,
               data={"train_images": result.n_train, "test_images": len(held_out.pixels)},
               evaluation={"split": "test", "attribute_accuracy": acc,
                           "chance": {a: round(1 / len(v), 4) for a, v in ATTRIBUTES.items()},
                           "final_loss": round(sum(result.losses[-50:]) / len(result.losses[-50:]), 4)},
               extra={"normalisation": {"mean": 0.5, "std": 0.5, "rescale": 1 / 255}, "frozen": True,
                      "train_cpu_seconds": round(cpu, 1)})
    log(f"vision: trained {result.train_seconds:.0f}s, {params} params, test attribute accuracy {acc} -> {out}")
    return out


def build_base(out: Path, recipe: LLMRecipe, seed: int, tokenizer_dir: Path, log: Callable[[str], None] = _log,
               evaluate: bool = True) -> Path:
    log = log or _quiet
    from iitbench.zoo.base_llm import train_base_llm
    from iitbench.zoo.cards import write_card
    from iitbench.zoo.corpus import build_corpus
    from iitbench.zoo.evaluate import evaluate_text_suite
    from iitbench.zoo.tokenizer import load_tokenizer

    recipe = replace(recipe, corpus=replace(recipe.corpus, seed=seed))
    tok = load_tokenizer(tokenizer_dir)
    corpus = build_corpus(recipe.corpus)
    c0 = time.process_time()
    result = train_base_llm(recipe, tok, corpus, out, seed, log=log)
    cpu = time.process_time() - c0  # wall time is inflated when other jobs share the cores; CPU time is not
    log(f"base-tiny: trained {result.train_seconds:.0f}s wall ({cpu:.0f}s CPU), final loss {result.final_loss}")
    evaluation: dict = {}
    if evaluate:
        t0 = time.perf_counter()
        evaluation = evaluate_text_suite(out, seed=0)
        log(f"base-tiny: text suite mean {evaluation['mean']:.3f} {json.dumps(evaluation['families'])} "
            f"({time.perf_counter() - t0:.0f}s)")
    write_card(out, recipe=recipe, seed=seed, train_seconds=result.train_seconds, parameters=result.parameters,
               data={"pretrain_docs": len(corpus.pretrain), "conversations": len(corpus.instructions),
                     "sequences": result.n_sequences, "tokens": result.n_tokens, "loss_tokens": result.n_loss_tokens},
               evaluation=evaluation, extra={"final_train_loss": result.final_loss, "tokenizer": "tokenizer",
                      "train_cpu_seconds": round(cpu, 1)})
    return out


def build_zoo(out_dir: Path, only: Sequence[str] | None = None, seed: int = 0,
              recipes: dict | None = None, log: Callable[[str], None] = _log) -> dict[str, Path]:
    """Build the selected stages (default all) into `out_dir/<name>/`; base-tiny reuses `out_dir/tokenizer`."""
    wanted = list(only) if only else list(STAGES)
    unknown = [w for w in wanted if w not in STAGES]
    if unknown:
        raise UserError(f"--only {', '.join(unknown)}: unknown zoo model; choose from {', '.join(STAGES)}")
    recipes = {**RECIPES, **(recipes or {})}
    out_dir = Path(out_dir)
    built: dict[str, Path] = {}
    for name in STAGES:
        if name not in wanted:
            continue
        t0 = time.perf_counter()
        log(f"stage {name}: start")
        if name == "tokenizer":
            built[name] = build_tokenizer(out_dir / name, recipes[name], seed, log)
        elif name == "siglip-tiny":
            built[name] = build_vision(out_dir / name, recipes[name], seed, log)
        else:
            tok_dir = out_dir / "tokenizer"
            if not (tok_dir / "tokenizer.json").is_file():
                raise UserError(f"base-tiny needs the zoo tokenizer in {tok_dir}; build it first (--only tokenizer)")
            built[name] = build_base(out_dir / name, recipes[name], seed, tok_dir, log)
        log(f"stage {name}: done in {time.perf_counter() - t0:.0f}s")
    return built


__all__ = ["STAGES", "build_base", "build_tokenizer", "build_vision", "build_zoo"]
