"""Inputs as the released WINGS model expects them: grey-padded square images and the Qwen chat prompt.

PIL only (no torchvision). Image: RGB -> pad to a square with (127,127,127), centred -> resize bicubic ->
/255 -> normalise mean = std = 0.5. Prompt: ChatML with the official system prompt; `<image>` becomes
`image_seq_length` copies of the image token id. `WingsProcessor` bundles a tokenizer with these settings: multi-turn
chat messages with interleaved images -> `input_ids`, `attention_mask`, `pixel_values`; save/load with a checkpoint.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

SYSTEM_PROMPT = "You are a helpful assistant."
IMAGE_PLACEHOLDER = "<image>"
PAD_COLOUR = (127, 127, 127)
PROCESSOR_FILE = "processor_config.json"


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
    return encode_pieces(encode, prompt.split(IMAGE_PLACEHOLDER), image_token_id, image_seq_length)


def encode_pieces(
    encode: Callable[[str], list[int]], pieces: Sequence[str], image_token_id: int, image_seq_length: int
) -> list[int]:
    """Token ids of text pieces with one image between each two consecutive pieces (n pieces = n - 1 images).

    Each piece is tokenised on its own, so the text around an image never merges with it.
    """
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


class WingsProcessor:
    """A tokenizer plus the image settings of one WINGS checkpoint: chat messages in, model inputs out.

    Messages are HF-style dicts: `{"role": "user", "content": "text"}` or a content list of
    `{"type": "text", "text": ...}` / `{"type": "image"[, "image": PIL image]}` parts, in order. Images not given
    inline are taken from `images`, in order of appearance. Rendering is ChatML with the official system prompt (a
    leading "system" message replaces it); an image part renders as `<image>` + newline where it stands, so a
    one-turn dialogue whose user message starts with its image gives exactly the official prompt (`build_prompt`).
    """

    def __init__(self, tokenizer, image_size: int = 384, image_seq_length: int = 729, image_token_id: int = 151646,
                 system_prompt: str = SYSTEM_PROMPT):
        self.tokenizer = tokenizer
        self.image_size, self.image_seq_length = int(image_size), int(image_seq_length)
        self.image_token_id, self.system_prompt = int(image_token_id), system_prompt

    @classmethod
    def from_config(cls, tokenizer, config) -> WingsProcessor:
        """Image settings from a `WingsConfig` (used when a checkpoint has no processor file)."""
        return cls(tokenizer, image_size=config.vision_config.image_size, image_seq_length=config.image_seq_length,
                   image_token_id=config.image_token_id)

    def to_dict(self) -> dict:
        return {"processor_class": type(self).__name__, "image_size": self.image_size,
                "image_seq_length": self.image_seq_length, "image_token_id": self.image_token_id,
                "system_prompt": self.system_prompt}

    def save_pretrained(self, directory: str | os.PathLike) -> None:
        """Tokenizer files plus `processor_config.json` (the image settings)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save_pretrained(directory)
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
        (directory / PROCESSOR_FILE).write_text(text, encoding="utf-8")

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike, tokenizer=None, config=None) -> WingsProcessor:
        """Load the tokenizer and the processor file of `directory`; without that file, settings come from `config`
        (or the directory's WingsConfig)."""
        from transformers import AutoTokenizer

        directory = Path(directory)
        tokenizer = tokenizer if tokenizer is not None else AutoTokenizer.from_pretrained(directory)
        file = directory / PROCESSOR_FILE
        if file.is_file():
            settings = json.loads(file.read_text(encoding="utf-8"))
            settings.pop("processor_class", None)
            return cls(tokenizer, **settings)
        if config is None:
            from .configuration_wings import WingsConfig

            config = WingsConfig.from_pretrained(directory)
        return cls.from_config(tokenizer, config)

    # -- rendering -------------------------------------------------------------------------------------------------
    def render(self, messages: Sequence[dict], images: Iterable[Image.Image] | None = None,
               add_generation_prompt: bool = True) -> tuple[list[str], list[Image.Image | None]]:
        """(text pieces, images): one image belongs between each two consecutive pieces.

        Image parts without an inline image take the next one of `images` (a sequence or a shared iterator);
        with `images=None` they stay None (rendering the prompt string needs no pixels)."""
        given = None if images is None else iter(images)
        pieces, found = [""], []
        system, rest = self.system_prompt, list(messages)
        if rest and rest[0]["role"] == "system":
            system = _content_text(rest.pop(0))
        pieces[-1] += f"<|im_start|>system\n{system}<|im_end|>\n"
        for message in rest:
            role = message["role"]
            if role not in ("user", "assistant"):
                raise ValueError(f"message role {role!r}: use system (first only), user or assistant")
            pieces[-1] += f"<|im_start|>{role}\n"
            content = message["content"]
            for part in [{"type": "text", "text": content}] if isinstance(content, str) else content:
                if part["type"] == "text":
                    if IMAGE_PLACEHOLDER in part["text"]:
                        raise ValueError(f"message text contains {IMAGE_PLACEHOLDER!r}; give images as image parts")
                    pieces[-1] += part["text"]
                elif part["type"] == "image":
                    image = part.get("image")
                    if image is None and given is not None:
                        image = next(given, None)
                        if image is None:
                            raise ValueError("more image parts than images given")
                    found.append(image)
                    pieces.append("\n")
                else:
                    raise ValueError(f"content part type {part['type']!r}: use text or image")
            pieces[-1] += "<|im_end|>\n"
        if add_generation_prompt:
            pieces[-1] += "<|im_start|>assistant\n"
        return pieces, found

    def apply_chat_template(self, messages: Sequence[dict], images: Iterable[Image.Image] | None = None,
                            add_generation_prompt: bool = True, tokenize: bool = False) -> str | list[int]:
        """The prompt string (images as `<image>`), or its token ids with each image expanded."""
        pieces, _ = self.render(messages, images, add_generation_prompt)
        return self.encode(pieces) if tokenize else IMAGE_PLACEHOLDER.join(pieces)

    def encode_text(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, pieces: Sequence[str]) -> list[int]:
        return encode_pieces(self.encode_text, pieces, self.image_token_id, self.image_seq_length)

    def pixel_values(self, images: Sequence[Image.Image]) -> torch.Tensor | None:
        return preprocess_batch(images, self.image_size) if images else None

    def __call__(self, conversations=None, images: Sequence[Image.Image] = (), text: str | Sequence[str] | None = None,
                 add_generation_prompt: bool = True, padding_side: str = "right") -> dict:
        """Batch inputs: `input_ids` and `attention_mask` [B, W] (padded on `padding_side`), `pixel_values`
        [n_images, 3, S, S] in sample-then-position order (None without images).

        Give `conversations` (one message list, or a list of them) or `text` (prompt strings with `<image>`).
        """
        if (conversations is None) == (text is None):
            raise ValueError("give either conversations or text")
        given = iter(images)
        rows: list[list[int]] = []
        used: list[Image.Image] = []
        if text is not None:
            for prompt in [text] if isinstance(text, str) else list(text):
                pieces = prompt.split(IMAGE_PLACEHOLDER)
                for _ in pieces[1:]:
                    image = next(given, None)
                    if image is None:
                        raise ValueError("more <image> placeholders than images given")
                    used.append(image)
                rows.append(self.encode(pieces))
        else:
            batch = [conversations] if conversations and isinstance(conversations[0], dict) else conversations
            for conversation in batch:
                pieces, found = self.render(conversation, given, add_generation_prompt)
                used.extend(found)
                rows.append(self.encode(pieces))
        if next(given, None) is not None:
            raise ValueError("more images given than image parts / <image> placeholders")
        ids, mask = pad_rows(rows, self.pad_id, padding_side)
        return {"input_ids": ids, "attention_mask": mask, "pixel_values": self.pixel_values(used)}

    @property
    def pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return pad if isinstance(pad, int) else 0  # any id: padded positions are masked


def pad_rows(rows: Sequence[Sequence[int]], pad_id: int, side: str = "right") -> tuple[torch.Tensor, torch.Tensor]:
    """input_ids and attention_mask [B, max length], padded with `pad_id` on `side` ("right" or "left")."""
    if side not in ("right", "left"):
        raise ValueError(f"padding side {side!r}: use right or left")
    width = max((len(r) for r in rows), default=0)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        span = slice(0, len(row)) if side == "right" else slice(width - len(row), width)
        ids[i, span] = torch.tensor(list(row), dtype=torch.long)
        mask[i, span] = 1
    return ids, mask


def _content_text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content if p["type"] == "text")


__all__ = ["SYSTEM_PROMPT", "IMAGE_PLACEHOLDER", "PROCESSOR_FILE", "pad_to_square", "preprocess_image",
           "preprocess_batch", "build_prompt", "encode_prompt", "encode_pieces", "WingsProcessor"]
