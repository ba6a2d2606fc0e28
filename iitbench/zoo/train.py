"""`train_zoo`: train the zoo (tokenizer, vision encoder, base-tiny, llava-tiny, wings-tiny; optionally the sweep)
into `out_dir/<name>/`.

Deterministic by seed on one machine; one log line per stage with its timing; stages whose card matches their recipe
hash are skipped (resume). The shipped weights are this function's output with `out_dir = iitbench.zoo.WEIGHTS_DIR`
(minutes on 2 CPU cores, base-tiny the longest; measured stage times: benchmarks/RESULTS.md, "Zoo build times and
recipe measurements"); `leaderboards/zoo.md` is written from the cards.
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

STAGES = ("tokenizer", "siglip-tiny", "base-tiny", "llava-tiny", "wings-tiny")


def _log(msg: str) -> None:
    print(f"[zoo] {msg}", file=sys.stderr, flush=True)


def _quiet(msg: str) -> None:
    pass


def make_tokenizer(out: Path, recipe: TokenizerRecipe, seed: int, log: Callable[[str], None] = _log) -> Path:
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


def make_vision(out: Path, recipe: VisionRecipe, seed: int, log: Callable[[str], None] = _log) -> Path:
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


def make_base(out: Path, recipe: LLMRecipe, seed: int, tokenizer_dir: Path, log: Callable[[str], None] = _log,
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


def _current(out: Path, recipe, seed: int) -> bool:
    """The stage's card exists with this recipe hash and seed: an interrupted or repeated build skips it."""
    from iitbench.zoo.cards import read_card
    from iitbench.zoo.recipes import recipe_hash

    try:
        card = read_card(out)
    except (OSError, ValueError):
        return False
    return card.get("recipe_hash") == recipe_hash(recipe) and card.get("seed") == seed


def _effective(name: str, recipe, seed: int):
    """The recipe as its card records it (the corpus seed follows the build seed)."""
    return replace(recipe, corpus=replace(recipe.corpus, seed=seed)) \
        if isinstance(recipe, (TokenizerRecipe, LLMRecipe)) else recipe


def _source(out_dir: Path, name: str) -> Path:
    """A prerequisite model: the one in out_dir if built there, else the shipped one."""
    from iitbench.zoo import WEIGHTS_DIR

    here = out_dir / name
    return here if (here / "config.json").is_file() or (here / "tokenizer.json").is_file() else WEIGHTS_DIR / name


def selected(only: Sequence[str] | None, sweep: bool, family: str | None = None,
             extra: Sequence[str] = ()) -> list[str]:
    """Stage names to build, in build order.

    Without `sweep`: the shipped models in `only`, default all five. With `sweep`: the sweep variants named in `only`,
    default all of them. With a `family` (iitbench/zoo/deep.py): its models named in `only`, default all of them;
    `extra` names recipes given to `train_zoo` directly (tests build micro family members that way).
    """
    from iitbench.zoo.sweep import sweep_recipes

    families = _families()
    if family is not None:
        if family not in families or sweep:
            raise UserError(f"--family {family}: use one of {', '.join(families)}, without --sweep")
        members = list(families[family]()) + [n for n in extra if n not in RECIPES]
        return _pick(members, only, lambda bad: f"--family {family} --only {bad}: not in the family; its names are in "
                     f"iitbench/zoo/{family}.py")
    variants = list(sweep_recipes())
    if sweep:
        return _pick(variants, only, lambda bad: f"--sweep --only {bad}: unknown sweep variant; the valid names are "
                     "the sweep-* rows of `iitbench zoo list`")
    swept = [w for w in (only or ()) if w in variants]
    if swept:  # ablations never land in the shipped weights by accident
        raise UserError(f"--only {', '.join(swept)}: a sweep variant; build it with --sweep --only {swept[0]} "
                        "--out DIR")
    return _pick(list(STAGES), only, lambda bad: f"--only {bad}: unknown zoo model; choose from {', '.join(STAGES)} "
                 "(or a sweep variant with --sweep, see `iitbench zoo list`)")


def _families() -> dict[str, Callable[[], dict]]:
    """Study families by name: deep (iitbench/zoo/deep.py) and real (iitbench/zoo/real.py)."""
    from iitbench.zoo.deep import FAMILIES as DEEP
    from iitbench.zoo.real import FAMILIES as REAL

    return {**DEEP, **REAL}


def _pick(pool: list[str], only: Sequence[str] | None, refusal: Callable[[str], str]) -> list[str]:
    """The names of `pool` in `only` (default: all), in pool order; names outside it are refused with
    `refusal(their comma-joined list)`."""
    unknown = [w for w in (only or ()) if w not in pool]
    if unknown:
        raise UserError(refusal(", ".join(unknown)))
    wanted = set(only or pool)
    return [n for n in pool if n in wanted]


def train_zoo(out_dir: Path, only: Sequence[str] | None = None, seed: int = 0,
              recipes: dict | None = None, log: Callable[[str], None] = _log, sweep: bool = False,
              work_dir: Path | None = None, leaderboard: Path | None = None, evaluate: bool = True,
              force: bool = False, family: str | None = None) -> dict[str, Path]:
    """Build the selected stages (default: the five shipped models; with `sweep`: the sweep variants in `only`, or
    all of them) into `out_dir/<name>/`.

    A stage whose card already has the same recipe hash and seed (and, for MLLMs, the same backbones) is skipped,
    so a rerun resumes an interrupted build. MLLM training stages live in `work_dir` (default: the iitbench cache).
    Prerequisites come from `out_dir` when built there, else from the shipped weights.
    """
    from iitbench.zoo import WEIGHTS_DIR
    from iitbench.zoo.sweep import sweep_recipes

    log = log or _quiet
    names = selected(only, sweep, family, extra=tuple(recipes or ()))
    out_dir = Path(out_dir)
    if (sweep or family) and out_dir.resolve() == WEIGHTS_DIR.resolve():
        raise UserError(f"{'--sweep' if sweep else '--family'} models are not shipped; pass --out DIR (a directory "
                        "outside iitbench/zoo/weights)")
    recipes = {**RECIPES, **sweep_recipes(), **(_families()[family]() if family else {}), **(recipes or {})}
    if work_dir is None:
        from iitbench.datasets.suites import cache_root

        work_dir = cache_root() / "zoo-work"
    built: dict[str, Path] = {}
    for name in names:
        t0 = time.perf_counter()
        out = out_dir / name
        recipe = recipes[name]
        if not force and _skip(name, out, recipe, seed, out_dir, recipes):
            log(f"stage {name}: up to date ({out}), skipped")
            built[name] = out
            continue
        log(f"stage {name}: start")
        if isinstance(recipe, TokenizerRecipe):
            built[name] = make_tokenizer(out, recipe, seed, log)
        elif isinstance(recipe, VisionRecipe):
            built[name] = make_vision(out, recipe, seed, log)
        elif isinstance(recipe, LLMRecipe):
            tok_dir = _source(out_dir, "tokenizer")
            if not (tok_dir / "tokenizer.json").is_file():
                raise UserError(f"{name} needs the zoo tokenizer in {tok_dir}; build it first (--only tokenizer)")
            built[name] = make_base(out, recipe, seed, tok_dir, log, evaluate=evaluate)
        elif _is_real(recipe):
            built[name] = _build_real(out, recipe, seed, out_dir, Path(work_dir), recipes, log, evaluate)
        else:
            built[name] = _build_mllm(name, out, recipe, seed, out_dir, Path(work_dir), recipes, log, evaluate)
        log(f"stage {name}: done in {time.perf_counter() - t0:.0f}s")
    if leaderboard is not None:
        from iitbench.zoo.leaderboard import write_leaderboard

        log(f"leaderboard: {write_leaderboard(leaderboard, out_dir, WEIGHTS_DIR)}")
    return built


def _skip(name: str, out: Path, recipe, seed: int, out_dir: Path, recipes: dict) -> bool:
    if isinstance(recipe, (TokenizerRecipe, VisionRecipe, LLMRecipe)):
        return _current(out, _effective(name, recipe, seed), seed)
    if _is_real(recipe):
        from iitbench.zoo.real_build import card_is_current as real_current

        return real_current(out, recipe, seed, out_dir, _source(out_dir, "siglip-tiny"), recipes)
    from iitbench.zoo.mllm import card_is_current

    return card_is_current(out, recipe, _mllm_seed(recipe, seed), _source(out_dir, recipe.base),
                           _source(out_dir, "siglip-tiny"))


def _is_real(recipe) -> bool:
    from iitbench.zoo.real import MergeRecipe, RealRecipe

    return isinstance(recipe, (RealRecipe, MergeRecipe))


def _build_real(out: Path, recipe, seed: int, out_dir: Path, work_dir: Path, recipes: dict,
                log: Callable[[str], None], evaluate: bool) -> Path:
    """A real-LLM family member (iitbench/zoo/real.py): an MLLM on a pretrained base, or a merge of one."""
    from iitbench.zoo.real import MergeRecipe
    from iitbench.zoo.real_build import make_merge, make_real

    if isinstance(recipe, MergeRecipe):
        return make_merge(out, recipe, recipes[recipe.source], out_dir, work_dir, log, evaluate=evaluate)
    vision = _source(out_dir, recipe.vision)
    if not (vision / "config.json").is_file():
        raise UserError(f"{recipe.name} needs {recipe.vision} in {out_dir} or the shipped weights; build it first "
                        f"(--only {recipe.vision})")
    return make_real(out, recipe, seed, out_dir, vision, work_dir, log, evaluate=evaluate)


def _mllm_seed(recipe, seed: int) -> int:
    """A seed replicate trains with its own seed; every other recipe with the build's."""
    return seed if recipe.seed is None else recipe.seed


def _build_mllm(name: str, out: Path, recipe, seed: int, out_dir: Path, work_dir: Path, recipes: dict,
                log: Callable[[str], None], evaluate: bool) -> Path:
    from iitbench.zoo.mllm import make_mllm

    base, vision = _source(out_dir, recipe.base), _source(out_dir, "siglip-tiny")
    for path, what in ((base, recipe.base), (vision, "siglip-tiny")):
        if not (path / "config.json").is_file():
            raise UserError(f"{name} needs {what} in {out_dir} or the shipped weights; build it first (--only {what})")
    return make_mllm(out, recipe, _mllm_seed(recipe, seed), base, vision, work_dir, recipes[recipe.base], log,
                     evaluate=evaluate)


__all__ = ["STAGES", "make_base", "make_tokenizer", "make_vision", "train_zoo", "selected"]
