"""Zoo recipes: frozen dataclasses holding every setting that decides a zoo model's weights.

`recipe_hash(recipe)` = sha256 over the recipe's fields, its kind, IIT-synth's generator VERSION and iitbench's
version, so a changed setting, generator or package gives a different hash (and the card says which one built it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from iitbench.zoo.corpus import CorpusSpec
from iitbench.zoo.llava_data import LlavaDataSpec


@dataclass(frozen=True)
class TokenizerRecipe:
    name: str = "tokenizer"
    vocab_size: int = 1536
    corpus: CorpusSpec = field(default_factory=CorpusSpec)


@dataclass(frozen=True)
class VisionRecipe:
    """A tiny SigLIP-architecture encoder, pre-trained to predict scene attributes from mean-pooled patches."""

    name: str = "siglip-tiny"
    image_size: int = 96  # IIT-synth renders 96 px: no resizing
    patch_size: int = 16
    hidden_size: int = 96
    intermediate_size: int = 384
    num_layers: int = 3
    num_heads: int = 4
    n_per_family: int = 800  # train-split images per visual family
    n_eval_per_family: int = 100  # held-out (test split) images per family for the card
    steps: int = 400
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup_steps: int = 60


@dataclass(frozen=True)
class LLMRecipe:
    """A Qwen2-architecture causal LM trained from scratch on the zoo corpus with HF Trainer."""

    name: str = "base-tiny"
    hidden_size: int = 128
    intermediate_size: int = 512
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 2
    max_position_embeddings: int = 1024  # the eval window; training sequences are `seq_len`
    seq_len: int = 256
    batch_size: int = 16
    steps: int = 2200  # text accuracy vs build time, measured at 1,200 / 2,200 / 3,000 steps: benchmarks/RESULTS.md
    learning_rate: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 50
    weight_decay: float = 0.05
    #: loss on instruction conversations: "answer" (assistant tokens only) or "all" (every token)
    instruction_loss: str = "answer"
    corpus: CorpusSpec = field(default_factory=CorpusSpec)
    threads: int = 2


@dataclass(frozen=True)
class StageRecipe:
    """One `wings_ref.train` run of an MLLM recipe (its TrainConfig is generated from this and the MLLM recipe)."""

    name: str  # "warmup" / "full" (naive), "stage1" / "stage2" (WINGS)
    stage: int | str  # wings_ref stage: 1, 2 or "naive"
    data: str  # "align": the single-turn image questions only; "mix": the whole multimodal file
    steps: int
    lr_projector: float
    lr_learners: float | None = None
    lr_llm: float | None = None
    lr_router: float | None = None
    train: tuple[str, ...] | None = None  # None: the wings_ref stage's default groups


#: The zoo's multimodal training data, the same for every MLLM recipe (fair comparison): 300 single-turn image
#: questions per visual family (7 families: 2,100) + 300 two-turn dialogues drawn from V and TV (a text question, then
#: an image one). Text answers ≈ 150 / 2,550 ≈ 6% of the answer turns, like LLaVA-1.5's mix (≈ 6% text-only
#: ShareGPT), and no text-only record. An earlier mix with a third of the answer turns in text hid the naive recipe's
#: forgetting: those turns acted as text replay, and replay removes forgetting (measurements: benchmarks/RESULTS.md,
#: "Zoo build times and recipe measurements"). WINGS' claim is that it keeps text skills without much text-only
#: data, so the data must not hide forgetting behind replay.
MM_DATA = LlavaDataSpec(n_visual_per_family=300, n_text_per_family=0, n_mixed=300, configs=("V", "TV"))


@dataclass(frozen=True)
class MLLMRecipe:
    """An MLLM on base-tiny + siglip-tiny: `method` "naive" (LLaVA-style, no learners) or "wings" (learners + router).

    Every stage runs through `wings_ref.train` (HF Trainer, answer-only loss, split-LR AdamW groups, cosine schedule).
    Tokens that occur in `data` but never in base-tiny's corpus start at the mean embedding (`init_new_tokens`).
    """

    name: str
    method: str  # "naive" | "wings"
    stages: tuple[StageRecipe, ...]
    learner_rank: int = 8
    data: LlavaDataSpec = MM_DATA
    batch_size: int = 8
    max_length: int = 512  # the longest TTV dialogue with its 36 image tokens is ~300 tokens
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    init_new_tokens: bool = True
    eval_limit: int | None = None  # items per suite; None = the whole suite (micro recipes in tests only)
    threads: int = 2
    base: str = "base-tiny"  # the zoo base LLM it starts from (a deeper family: iitbench/zoo/deep.py)
    seed: int | None = None  # a fixed training seed (seed replicates); None: the build's --seed

    def __post_init__(self):
        if self.method not in ("naive", "wings"):
            raise ValueError(f"MLLMRecipe {self.name}: method={self.method!r}; use naive or wings")
        if not self.stages:
            raise ValueError(f"MLLMRecipe {self.name}: needs at least one stage")

    @property
    def use_learners(self) -> bool:
        return self.method == "wings"


# Step counts: 600 stage-2 steps x 8 ≈ 1.9 epochs of the 2,400 records; with 250 steps and the replay-heavy earlier
# mix the naive recipe barely forgot. The shipped pair's scores: leaderboards/zoo.md; scores measured at other
# settings and the stage timings: benchmarks/RESULTS.md, "Zoo build times and recipe measurements".
ALIGN_STEPS, TUNE_STEPS = 100, 600
HIGH_LR, LOW_LR = 1e-3, 5e-5

#: Naive LLaVA recipe: projector warm-up, then full fine-tune of LLM + projector at a HIGH LR (the LR that forgets).
LLAVA_TINY = MLLMRecipe(name="llava-tiny", method="naive", stages=(
    StageRecipe("warmup", "naive", "align", ALIGN_STEPS, lr_projector=HIGH_LR, train=("projector",)),
    StageRecipe("full", "naive", "mix", TUNE_STEPS, lr_projector=HIGH_LR, lr_llm=HIGH_LR),
))

#: WINGS: stage 1 projector + visual learners (LLM frozen); stage 2 LLM at a LOW LR, learners + router at 3e-4 (the
#: textual learner runs on text-only input, so a high LR there would itself cause forgetting), projector high.
WINGS_TINY = MLLMRecipe(name="wings-tiny", method="wings", stages=(
    StageRecipe("stage1", 1, "align", ALIGN_STEPS, lr_projector=HIGH_LR, lr_learners=HIGH_LR),
    StageRecipe("stage2", 2, "mix", TUNE_STEPS, lr_projector=HIGH_LR, lr_learners=3e-4, lr_llm=LOW_LR,
                lr_router=3e-4),
))


RECIPES: dict[str, Any] = {
    "tokenizer": TokenizerRecipe(),
    "siglip-tiny": VisionRecipe(),
    "base-tiny": LLMRecipe(),
    "llava-tiny": LLAVA_TINY,
    "wings-tiny": WINGS_TINY,
}


# Fields added after recipes were shipped: left out of the hash at their default, so shipped cards stay current.
_LATER_DEFAULTS = {"base": "base-tiny", "seed": None}


def recipe_dict(recipe: Any) -> dict[str, Any]:
    fields = dataclasses.asdict(recipe)
    if isinstance(recipe, MLLMRecipe):
        fields = {k: v for k, v in fields.items() if k not in _LATER_DEFAULTS or v != _LATER_DEFAULTS[k]}
    return {"kind": type(recipe).__name__, **fields}


def recipe_hash(recipe: Any) -> str:
    from iitbench import __version__
    from iitbench.sources.synth import VERSION

    payload = {"recipe": recipe_dict(recipe), "synth_version": VERSION, "iitbench_version": __version__}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


__all__ = ["LLAVA_TINY", "LLMRecipe", "MLLMRecipe", "MM_DATA", "RECIPES", "StageRecipe", "WINGS_TINY",
           "TokenizerRecipe", "VisionRecipe", "recipe_dict", "recipe_hash"]
