"""Tokenised supervised samples for WINGS: ChatML with the official system prompt, answer-only labels.

    <|im_start|>system\\n{SYSTEM_PROMPT}<|im_end|>\\n
    <|im_start|>user\\n<image>\\n{question}<|im_end|>\\n          labels -100
    <|im_start|>assistant\\n                                     labels -100
    {answer}<|im_end|>                                          labels = the tokens (answer + end-of-turn)
    \\n                                                          labels -100
    ... further user/assistant turns ...

`<image>` becomes `image_seq_length` image-token ids and moves to the front of its turn (as LLaVA/WINGS do).
Every piece is tokenised separately, so label boundaries never depend on merges across pieces.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from wings_ref.processing_wings import IMAGE_PLACEHOLDER, SYSTEM_PROMPT, encode_prompt, preprocess_image

from .errors import TrainConfigError, TrainDataError
from .records import BadRecord, Record, load_records

IGNORE_INDEX = -100
END_OF_TURN = "<|im_end|>"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatEncoding:
    """How text becomes ids for one model: its tokenizer and where images go."""

    encode: Callable[[str], list[int]]  # text -> ids, no special tokens added
    image_token_id: int
    image_seq_length: int
    system: str = SYSTEM_PROMPT

    def ids(self, text: str) -> list[int]:
        return encode_prompt(self.encode, text, self.image_token_id, self.image_seq_length)

    def system_prompt_len(self) -> int:
        """Tokens before the first user text: what WingsConfig.system_prompt_len should be for this tokenizer."""
        return len(self.ids(f"<|im_start|>system\n{self.system}{END_OF_TURN}\n<|im_start|>user\n"))


@dataclass(frozen=True)
class Sample:
    record_id: str
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    image: Path | None
    truncated: bool


def image_first(text: str) -> str:
    """Move the image placeholder to the front of its turn: '<image>\\n' + the rest."""
    if IMAGE_PLACEHOLDER not in text:
        return text
    return f"{IMAGE_PLACEHOLDER}\n" + text.replace(IMAGE_PLACEHOLDER, "").strip()


def encode_record(record: Record, fmt: ChatEncoding, max_length: int) -> Sample | BadRecord:
    """Ids and answer-only labels of one conversation, truncated to max_length (never through the image)."""
    ids: list[int] = []
    labels: list[int] = []

    def add(text: str, learn: bool) -> None:
        piece = fmt.ids(text)
        ids.extend(piece)
        labels.extend(piece if learn else [IGNORE_INDEX] * len(piece))

    add(f"<|im_start|>system\n{fmt.system}{END_OF_TURN}\n", learn=False)
    for turn in record.turns:
        if turn.role == "user":
            add(f"<|im_start|>user\n{image_first(turn.text)}{END_OF_TURN}\n", learn=False)
        else:
            add("<|im_start|>assistant\n", learn=False)
            add(f"{turn.text}{END_OF_TURN}", learn=True)
            add("\n", learn=False)
    truncated = len(ids) > max_length
    ids, labels = ids[:max_length], labels[:max_length]
    if record.image is not None and ids.count(fmt.image_token_id) != fmt.image_seq_length:
        return BadRecord(record.where, record.record_id,
                         f"max_length {max_length} cuts through the image tokens; raise max_length")
    if all(label == IGNORE_INDEX for label in labels):
        return BadRecord(record.where, record.record_id,
                         f"no answer token left within max_length {max_length}; raise max_length")
    return Sample(record.record_id, tuple(ids), tuple(labels), record.image, truncated)


def check_end_of_turn(encode: Callable[[str], list[int]]) -> int:
    ids = encode(END_OF_TURN)
    if len(ids) != 1:
        raise TrainConfigError(f"the tokenizer splits {END_OF_TURN} into {len(ids)} tokens; WINGS training needs a "
                               "ChatML tokenizer (Qwen) where it is one special token")
    return ids[0]


@dataclass(frozen=True)
class DataReport:
    """What the run's log says about the data: counts, truncated and skipped records."""

    n_samples: int
    n_image_samples: int
    truncated: tuple[str, ...]  # record ids
    skipped: tuple[BadRecord, ...]

    def to_dict(self) -> dict:
        return {
            "n_samples": self.n_samples,
            "n_image_samples": self.n_image_samples,
            "n_text_only_samples": self.n_samples - self.n_image_samples,
            "truncated_count": len(self.truncated),
            "truncated_ids": list(self.truncated),
            "skipped_count": len(self.skipped),
            "skipped": [s.message() for s in self.skipped],
        }


class WingsSFTDataset(torch.utils.data.Dataset):
    """Pre-tokenised samples; images are decoded and preprocessed when an item is read."""

    def __init__(self, samples: list[Sample], image_size: int):
        self.samples, self.image_size = samples, image_size

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict:
        sample = self.samples[index]
        item = {"input_ids": sample.input_ids, "labels": sample.labels, "pixel_values": None}
        if sample.image is not None:
            try:
                with Image.open(sample.image) as image:
                    item["pixel_values"] = preprocess_image(image, self.image_size)
            except OSError as exc:
                raise TrainDataError(f"record {sample.record_id}: image {sample.image} cannot be decoded "
                                     f"({type(exc).__name__}); replace or remove it") from None
        return item


def build_sft_dataset(data_path: str | Path, image_root: str | Path | None, fmt: ChatEncoding, image_size: int,
                  max_length: int, skip_bad_records: bool) -> tuple[WingsSFTDataset, DataReport]:
    records, skipped = load_records(data_path, image_root, skip_bad_records)
    samples = []
    for record in records:
        item = encode_record(record, fmt, max_length)
        if isinstance(item, BadRecord):
            if not skip_bad_records:
                raise TrainDataError(f"{item.message()}; fix it or set skip_bad_records: true")
            skipped.append(item)
        else:
            samples.append(item)
    if not samples:
        raise TrainDataError(f"{data_path}: no usable record ({len(skipped)} skipped); check the data file")
    report = DataReport(len(samples), sum(s.image is not None for s in samples),
                        tuple(s.record_id for s in samples if s.truncated), tuple(skipped))
    if report.truncated:
        logger.warning("%d sample(s) truncated to max_length=%d: %s", len(report.truncated), max_length,
                       ", ".join(report.truncated[:20]))
    if report.skipped:
        logger.warning("%d bad record(s) skipped: %s", len(skipped), "; ".join(s.message() for s in skipped[:20]))
    return WingsSFTDataset(samples, image_size), report


@dataclass(frozen=True)
class WingsCollator:
    """Right-pads ids (pad id) and labels (-100); stacks the images of the batch in sample order."""

    pad_token_id: int

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(f["input_ids"]) for f in features)
        ids = torch.full((len(features), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(features), width), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((len(features), width), dtype=torch.long)
        for row, feature in enumerate(features):
            n = len(feature["input_ids"])
            ids[row, :n] = torch.tensor(feature["input_ids"])
            labels[row, :n] = torch.tensor(feature["labels"])
            mask[row, :n] = 1
        batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}
        images = [f["pixel_values"] for f in features if f["pixel_values"] is not None]
        if images:  # the model fills image placeholders row by row, so this order matches
            batch["pixel_values"] = torch.stack(images)
        return batch


__all__ = ["IGNORE_INDEX", "END_OF_TURN", "ChatEncoding", "Sample", "DataReport", "WingsSFTDataset", "WingsCollator",
           "encode_record", "build_sft_dataset", "check_end_of_turn", "image_first"]
