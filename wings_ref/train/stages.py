"""Which parameters train in each stage, and the optimizer's parameter groups with split learning rates.

Groups by parameter name: vision (`model.vision_tower.*`, always frozen), projector (`model.mm_projector.*`),
visual_learner (`*.attn_pool.*`), textual_learner (`*.attn_t_pool.*`), router (`*.reweight_module.*`), llm (the rest:
embeddings, decoder self-attention/MLP/norms, final norm, lm_head). Freezing is by requires_grad only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import torch
from torch import nn

from .errors import TrainConfigError

PARTS = {"vision_tower": "vision", "mm_projector": "projector", "attn_pool": "visual_learner",
         "attn_t_pool": "textual_learner", "reweight_module": "router"}


def param_group(name: str) -> str:
    """Group of a parameter name; robust to wrapper prefixes such as `module.` (DDP) or FSDP's."""
    for part in name.split("."):
        if part in PARTS:
            return PARTS[part]
    return "llm"


def no_weight_decay(name: str, param: torch.Tensor) -> bool:
    """Norm weights and biases (every 1-D tensor) are not decayed."""
    return param.ndim < 2 or name.endswith(".bias") or "norm" in name.lower()


LLM_PART_MODULES = {"llm_attention": "self_attn", "llm_mlp": "mlp"}  # train selector -> decoder sub-module name


def _selected(name: str, group: str, trained: set[str]) -> str | None:
    """The entry of `trained` that makes parameter `name` train, or None."""
    if group in trained:
        return group
    if group == "llm":
        parts = name.split(".")
        return next((sel for sel, module in LLM_PART_MODULES.items() if sel in trained and module in parts), None)
    return None


def apply_stage(model: nn.Module, trained_groups: Iterable[str]) -> dict[str, int]:
    """Set requires_grad per group (or LLM part); returns trainable parameter counts per trained entry."""
    trained = set(trained_groups)
    if "vision" in trained:
        raise TrainConfigError("the vision tower is frozen in every WINGS stage; remove 'vision' from train")
    counts: Counter[str] = Counter()
    for name, param in model.named_parameters():
        chosen = _selected(name, param_group(name), trained)
        param.requires_grad_(chosen is not None)
        if chosen is not None:
            counts[chosen] += param.numel()
    missing = sorted(trained - set(counts))
    if missing:
        raise TrainConfigError(f"train lists {missing} but the model has no such parameters "
                               "(learners/router exist only with use_learners=True)")
    return dict(sorted(counts.items()))


def optimizer_groups(model: nn.Module, learning_rates: dict[str, float],
                     weight_decay: float) -> list[dict]:
    """One AdamW group per (parameter group, decay or not), named `group` / `group/no_decay`, sorted by name."""
    buckets: dict[tuple[str, bool], list[torch.Tensor]] = {}
    for name, param in model.named_parameters():
        if param.requires_grad:
            key = (param_group(name), no_weight_decay(name, param))
            buckets.setdefault(key, []).append(param)
    groups = []
    for (group, nodecay), params in sorted(buckets.items()):
        groups.append({
            "name": f"{group}/no_decay" if nodecay else group,
            "params": params,
            "lr": learning_rates[group],
            "weight_decay": 0.0 if nodecay else weight_decay,
        })
    return groups


def resolve_token_ids(tokens: Iterable[int | str], convert) -> list[int]:
    """Ids for `init_new_tokens` entries: ints as they are, strings through the tokenizer's vocabulary."""
    ids = []
    for token in tokens:
        if isinstance(token, int):
            ids.append(token)
            continue
        token_id = convert(token)
        if token_id is None or isinstance(token_id, list):
            raise TrainConfigError(f"init_new_tokens: {token!r} is not one token of the tokenizer")
        ids.append(int(token_id))
    return sorted(set(ids))


@torch.no_grad()
def init_new_tokens(model: nn.Module, token_ids: list[int]) -> None:
    """Set the embedding (and untied output) rows of tokens unseen in pre-training to the mean of the other rows.

    Fresh rows drift under AdamW (to several times the norm of trained rows) and their logits get pushed down, so a
    new task cannot be learned at a low LR (measured on tiny Qwen2 models: benchmarks/RESULTS.md, "Zoo build times and
    recipe measurements"). Use only for tokens that appear in the new data alone.
    """
    if not token_ids:
        return
    matrices = [model.get_input_embeddings().weight]
    output = model.get_output_embeddings()
    if output is not None and output.weight is not matrices[0]:
        matrices.append(output.weight)
    for weight in matrices:
        vocab = weight.shape[0]
        bad = [i for i in token_ids if not 0 <= i < vocab]
        if bad:
            raise TrainConfigError(f"init_new_tokens: ids {bad} are outside the vocabulary (size {vocab})")
        keep = torch.ones(vocab, dtype=torch.bool, device=weight.device)
        keep[token_ids] = False
        weight[token_ids] = weight[keep].float().mean(0).to(weight.dtype)


__all__ = ["param_group", "no_weight_decay", "apply_stage", "optimizer_groups", "init_new_tokens",
           "resolve_token_ids"]
