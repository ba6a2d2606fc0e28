"""`iitbench zoo build --sweep`: recipe variations around llava-tiny / wings-tiny (the paper's ablations, tiny).

Axes (the ablations of the WINGS paper, Zhang et al., NeurIPS 2024, arXiv:2406.03496): learning-rate scheme (uniform
high, uniform low, split = high projector + low LLM), naive vs WINGS, which learners train (visual only, textual only,
both), and training length (x0.5, x2). Every variant uses the same multimodal data (MM_DATA) and seed as the shipped
pair, and is built into `--out/<name>/` with its card (never into the shipped weights).

Budget: `estimate_minutes()` sums the 13 variants (3 naive and 6 WINGS at x1, one naive and one WINGS at x0.5 and at
x2) from the shipped build's measured per-step times (mllm.STEP_SECONDS) and must stay under an hour on 2 idle cores
(measured figures: benchmarks/RESULTS.md, "Zoo build times and recipe measurements"). That is before any reuse: stage
dirs are keyed by the stage chain, so variants whose first stage equals wings-tiny's / llava-tiny's (all LR and
learner variants but textual-only / no-learners) reuse it, sweep-naive-uniform-high equals llava-tiny's chain and
sweep-wings-split equals wings-tiny's (only their evaluation runs).
"""

from __future__ import annotations

from dataclasses import replace

from iitbench.zoo.recipes import HIGH_LR, LLAVA_TINY, LOW_LR, WINGS_TINY, MLLMRecipe, StageRecipe

#: text + mm suites through `wings:` (700 items) + base-tiny's text suite; measured: benchmarks/RESULTS.md
EVAL_MINUTES = 0.15


def _scaled(recipe: MLLMRecipe, name: str, factor: float) -> MLLMRecipe:
    """Same recipe with every stage's steps scaled by `factor`."""
    return replace(recipe, name=name,
                   stages=tuple(replace(s, steps=max(1, round(s.steps * factor))) for s in recipe.stages))


def _naive(name: str, lr_projector: float, lr_llm: float) -> MLLMRecipe:
    warm, full = LLAVA_TINY.stages
    return replace(LLAVA_TINY, name=name, stages=(warm, replace(full, lr_projector=lr_projector, lr_llm=lr_llm)))


def _wings(name: str, stage1: StageRecipe | None = None, **stage2) -> MLLMRecipe:
    s1, s2 = WINGS_TINY.stages
    return replace(WINGS_TINY, name=name, stages=(stage1 or s1, replace(s2, **stage2)))


def sweep_recipes() -> dict[str, MLLMRecipe]:
    """The sweep's variants by name (sorted), each a full MLLMRecipe."""
    s1 = WINGS_TINY.stages[0]
    variants = [
        # learning-rate schemes, naive (LLaVA-style) model
        _naive("sweep-naive-uniform-high", HIGH_LR, HIGH_LR),
        _naive("sweep-naive-uniform-low", LOW_LR, LOW_LR),
        _naive("sweep-naive-split", HIGH_LR, LOW_LR),
        # learning-rate schemes, WINGS (stage 2; stage 1 as wings-tiny)
        _wings("sweep-wings-uniform-high", lr_projector=HIGH_LR, lr_learners=HIGH_LR, lr_llm=HIGH_LR,
               lr_router=HIGH_LR),
        _wings("sweep-wings-uniform-low", lr_projector=LOW_LR, lr_learners=LOW_LR, lr_llm=LOW_LR, lr_router=LOW_LR),
        _wings("sweep-wings-split", lr_projector=HIGH_LR, lr_learners=3e-4, lr_llm=LOW_LR, lr_router=3e-4),
        # which learners train (the others keep B = 0, i.e. contribute nothing)
        _wings("sweep-wings-visual-only", train=("llm", "projector", "visual_learner", "router")),
        _wings("sweep-wings-textual-only", stage1=replace(s1, train=("projector",)),
               train=("llm", "projector", "textual_learner", "router")),
        _wings("sweep-wings-no-learners", stage1=replace(s1, train=("projector",)), train=("llm", "projector")),
        # training length
        _scaled(LLAVA_TINY, "sweep-naive-short", 0.5),
        _scaled(LLAVA_TINY, "sweep-naive-long", 2.0),
        _scaled(WINGS_TINY, "sweep-wings-short", 0.5),
        _scaled(WINGS_TINY, "sweep-wings-long", 2.0),
    ]
    return {r.name: r for r in sorted(variants, key=lambda r: r.name)}


def estimate_minutes(recipes: dict[str, MLLMRecipe] | None = None) -> float:
    """Training + evaluation minutes on 2 idle cores, from the measured per-step seconds (no stage reuse counted)."""
    from iitbench.zoo.mllm import STAGE_OVERHEAD_SECONDS, STEP_SECONDS

    total = 0.0
    for recipe in (recipes or sweep_recipes()).values():
        for stage in recipe.stages:
            if recipe.method == "naive":
                kind = "naive-projector" if stage.train == ("projector",) else "naive-full"
            else:
                kind = f"wings-{stage.stage}"
            total += stage.steps * STEP_SECONDS[kind] + STAGE_OVERHEAD_SECONDS
        total += EVAL_MINUTES * 60
    return round(total / 60, 1)


__all__ = ["estimate_minutes", "sweep_recipes"]
