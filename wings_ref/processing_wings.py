"""Inputs as the released WINGS model expects them: grey-padded square images and the Qwen chat prompt.

PIL only (no torchvision). Image: RGB -> pad to a square with (127,127,127), centred -> resize bicubic ->
/255 -> normalise mean = std = 0.5. Prompt: ChatML with the official system prompt; `<image>` becomes
`image_seq_length` copies of the image token id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from PIL import Image

SYSTEM_PROMPT = "You are a helpful assistant."
IMAGE_PLACEHOLDER = "<image>"
PAD_COLOUR = (127, 127, 127)


def pad_to_square(image: Image.Image, colour: tuple[int, int, int] = PAD_COLOUR) -> Image.Image:
    """Centre the image on a square canvas of its longer side (keeps the aspect ratio, as the official code)."""
    width, height = image.size
    side = max(width, height)
    canvas = Image.new("RGB", (side, side), colour)
    canvas.paste(image, ((side - width) // 2, (side - height) // 2))
    return canvas


def preprocess_image(image: Image.Image, image_size: int) -> torch.Tensor:
    """PIL image -> float tensor [3, image_size, image_size] in [-1, 1]."""
    square = pad_to_square(image.convert("RGB")).resize((image_size, image_size), Image.Resampling.BICUBIC)
    array = np.asarray(square, dtype=np.float32) / 255.0
    return torch.from_numpy((array - 0.5) / 0.5).permute(2, 0, 1).contiguous()


def build_prompt(question: str, with_image: bool, system: str = SYSTEM_PROMPT) -> str:
    """One-turn ChatML prompt ending with the assistant header; the image goes first in the user turn."""
    user = f"{IMAGE_PLACEHOLDER}\n{question}" if with_image else question
    return (
        f"<|im_start|>system\n{system}<|im_end|>\n"
        f"<|im_start|>user\n{user}<|im_end|>\n"
        f"<|im_start|>assistant\n"
    )


def encode_prompt(
    encode: Callable[[str], list[int]], prompt: str, image_token_id: int, image_seq_length: int
) -> list[int]:
    """Token ids of `prompt` with each `<image>` replaced by `image_seq_length` image-token ids.

    `encode` maps text to ids without adding special tokens, e.g.
    `lambda s: tokenizer(s, add_special_tokens=False).input_ids`.
    """
    pieces = prompt.split(IMAGE_PLACEHOLDER)
    ids: list[int] = []
    for index, piece in enumerate(pieces):
        if index:
            ids.extend([image_token_id] * image_seq_length)
        if piece:
            ids.extend(encode(piece))
    return ids


def preprocess_batch(images: Sequence[Image.Image], image_size: int) -> torch.Tensor:
    """[N, 3, image_size, image_size] pixel values for a list of images (one per image sample)."""
    return torch.stack([preprocess_image(image, image_size) for image in images])


__all__ = ["SYSTEM_PROMPT", "IMAGE_PLACEHOLDER", "pad_to_square", "preprocess_image", "preprocess_batch",
           "build_prompt", "encode_prompt"]
