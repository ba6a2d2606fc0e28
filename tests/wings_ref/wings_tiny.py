"""Shared builders for the wings_ref tests: tiny fp32 configs (hidden 64, 2 layers, 4 heads, SigLIP 32 px / patch 8)."""

from __future__ import annotations

import torch
from transformers import Qwen2Config

from wings_ref import WingsConfig, WingsForConditionalGeneration

IMAGE_TOKEN = 5
PAD = 0
IMAGE_TOKENS = 16  # (32 / 8) ** 2
SYSTEM_LEN = 3


def tiny_config(**overrides) -> WingsConfig:
    text = Qwen2Config(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       intermediate_size=128, vocab_size=128, pad_token_id=PAD, max_position_embeddings=256)
    vision = dict(hidden_size=32, image_size=32, patch_size=8, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=64)
    kwargs = dict(text_config=text.to_dict(), vision_config=vision, learner_rank=4, image_token_id=IMAGE_TOKEN,
                  system_prompt_len=SYSTEM_LEN, router_width=64)
    kwargs.update(overrides)
    return WingsConfig(**kwargs)


def randomise_learners(model: WingsForConditionalGeneration, seed: int = 1) -> None:
    """Give every learner B and the router non-zero weights, so the learners actually change the output."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if "pool" in name or "reweight_module" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.3)


def image_prompt(seed: int, before: int = 4, after: int = 5) -> list[int]:
    gen = torch.Generator().manual_seed(seed)
    text = torch.randint(6, 128, (before + after,), generator=gen).tolist()
    return text[:before] + [IMAGE_TOKEN] * IMAGE_TOKENS + text[before:]


def text_prompt(seed: int, length: int = 9) -> list[int]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(6, 128, (length,), generator=gen).tolist()


def pixels(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


def pad_batch(prompts: list[list[int]], side: str) -> tuple[torch.Tensor, torch.Tensor]:
    """input_ids and attention_mask, padded with PAD on `side`."""
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), PAD)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        span = slice(width - len(prompt), width) if side == "left" else slice(0, len(prompt))
        ids[row, span] = torch.tensor(prompt)
        mask[row, span] = 1
    return ids, mask
