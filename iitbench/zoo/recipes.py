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
    steps: int = 1600
    learning_rate: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 50
    weight_decay: float = 0.05
    #: loss on instruction conversations: "answer" (assistant tokens only) or "all" (every token)
    instruction_loss: str = "answer"
    corpus: CorpusSpec = field(default_factory=CorpusSpec)
    threads: int = 2


RECIPES: dict[str, Any] = {
    "tokenizer": TokenizerRecipe(),
    "siglip-tiny": VisionRecipe(),
    "base-tiny": LLMRecipe(),
}


def recipe_dict(recipe: Any) -> dict[str, Any]:
    return {"kind": type(recipe).__name__, **dataclasses.asdict(recipe)}


def recipe_hash(recipe: Any) -> str:
    from iitbench import __version__
    from iitbench.sources.synth import VERSION

    payload = {"recipe": recipe_dict(recipe), "synth_version": VERSION, "iitbench_version": __version__}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


__all__ = ["LLMRecipe", "RECIPES", "TokenizerRecipe", "VisionRecipe", "recipe_dict", "recipe_hash"]
