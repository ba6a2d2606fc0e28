"""Image preprocessing and prompt building match the released model's input format."""

from __future__ import annotations

import torch
from PIL import Image

from wings_ref.processing_wings import build_prompt, encode_prompt, pad_to_square, preprocess_image


def test_wide_image_is_centred_on_grey_square():
    square = pad_to_square(Image.new("RGB", (40, 20), (255, 0, 0)))
    assert square.size == (40, 40)
    assert square.getpixel((20, 2)) == (127, 127, 127)
    assert square.getpixel((20, 20)) == (255, 0, 0)
    assert square.getpixel((20, 37)) == (127, 127, 127)


def test_preprocessed_image_is_normalised_to_minus_one_one():
    pixels = preprocess_image(Image.new("RGB", (64, 32), (255, 255, 255)), 32)
    assert pixels.shape == (3, 32, 32)
    assert torch.allclose(pixels[:, 16, 16], torch.ones(3))
    assert torch.allclose(pixels[:, 1, 16], torch.full((3,), (127 / 255 - 0.5) / 0.5))


def test_grayscale_input_becomes_three_channels():
    assert preprocess_image(Image.new("L", (10, 10), 0), 8).shape == (3, 8, 8)


def test_prompt_has_official_system_prompt_and_image_first():
    assert build_prompt("What is it?", with_image=True) == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<image>\nWhat is it?<|im_end|>\n<|im_start|>assistant\n"
    )
    assert "<image>" not in build_prompt("Hi", with_image=False)


def test_image_placeholder_expands_to_image_seq_length_tokens():
    def encode(text: str) -> list[int]:
        return [ord(ch) for ch in text]

    ids = encode_prompt(encode, build_prompt("q", with_image=True), image_token_id=-7, image_seq_length=729)
    assert ids.count(-7) == 729
    start = ids.index(-7)
    assert ids[start : start + 729] == [-7] * 729
    assert "".join(chr(i) for i in ids if i != -7) == build_prompt("q", with_image=True).replace("<image>", "")
