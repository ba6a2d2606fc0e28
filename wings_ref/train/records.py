"""Reading LLaVA conversation files strictly: each bad record gets one line naming the file and the record.

Format (LLaVA-v1.5): `[{"id": ..., "image": "rel/path.png" (optional), "conversations": [{"from": "human",
"value": "<image>\\nWhat ..."}, {"from": "gpt", "value": "..."}, ...]}]` as one JSON list, or one record a line (.jsonl).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from wings_ref.processing_wings import IMAGE_PLACEHOLDER

from .errors import TrainDataError

USER_ROLES = ("human", "user")
ASSISTANT_ROLES = ("gpt", "assistant")


@dataclass(frozen=True)
class Turn:
    role: str  # "user" | "assistant"
    text: str


@dataclass(frozen=True)
class Record:
    """One validated conversation; `image` is an absolute path inside image_root, or None (text-only)."""

    record_id: str
    where: str  # "file.jsonl:12" or "file.json[3]", for error messages
    turns: tuple[Turn, ...]
    image: Path | None


@dataclass(frozen=True)
class BadRecord:
    where: str
    record_id: str
    reason: str

    def message(self) -> str:
        return f"{self.where} (record {self.record_id}): {self.reason}"


def read_raw(path: Path) -> list[tuple[str, Any | BadRecord]]:
    """(where, parsed record) per record; a malformed JSONL line gives a BadRecord in its place."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrainDataError(f"{path}: cannot read the data file ({exc}); check data_path") from None
    if path.suffix == ".jsonl":
        out = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                out.append((where, json.loads(line)))
            except json.JSONDecodeError as exc:
                out.append((where, BadRecord(where, "?", f"malformed JSON ({exc.msg} at column {exc.colno})")))
        return out
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:  # a broken JSON list cannot be split into records: never skippable
        raise TrainDataError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg} at column {exc.colno}); "
                             "fix the file or convert it to .jsonl") from None
    if not isinstance(data, list):
        raise TrainDataError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    return [(f"{path}[{index}]", item) for index, item in enumerate(data)]


def resolve_image(name: Any, image_root: Path | None) -> tuple[Path | None, str | None]:
    """Absolute image path confined to image_root, or (None, reason)."""
    if not isinstance(name, str) or not name.strip():
        return None, f"'image' must be a relative path string, got {name!r}"
    if image_root is None:
        return None, f"image {name!r} but no image_root is configured; set image_root"
    if Path(name).is_absolute() or name.startswith(("/", "\\")):
        return None, f"image path {name!r} is absolute; give it relative to image_root"
    root = image_root.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        return None, f"image path {name!r} escapes image_root {root}"
    if not path.is_file():
        return None, f"image file {path} is missing"
    try:
        with Image.open(path) as image:  # header only: cheap, catches non-images and truncated headers
            _ = image.size
    except (UnidentifiedImageError, OSError) as exc:
        return None, f"image file {path} is unreadable ({type(exc).__name__})"
    return path, None


def validate(where: str, raw: Any, image_root: Path | None) -> Record | BadRecord:
    if not isinstance(raw, dict):
        return BadRecord(where, "?", f"a record must be a JSON object, got {type(raw).__name__}")
    record_id = str(raw.get("id", "?"))
    bad = lambda reason: BadRecord(where, record_id, reason)  # noqa: E731
    conv = raw.get("conversations")
    if not isinstance(conv, list) or not conv:
        return bad("'conversations' must be a non-empty list")
    turns = []
    for index, turn in enumerate(conv):
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
            return bad(f"turn {index} needs 'from' and a string 'value'")
        role = turn.get("from")
        if role in USER_ROLES:
            role = "user"
        elif role in ASSISTANT_ROLES:
            role = "assistant"
        else:
            return bad(f"turn {index} has from={role!r}; use one of {USER_ROLES + ASSISTANT_ROLES}")
        expected = "user" if index % 2 == 0 else "assistant"
        if role != expected:
            return bad(f"turn {index} is from the {role}; turns must alternate user, assistant, ...")
        turns.append(Turn(role, turn["value"]))
    if not any(t.role == "assistant" for t in turns):
        return bad("the conversation has no assistant (gpt) turn, so nothing to learn")
    placeholders = sum(t.text.count(IMAGE_PLACEHOLDER) for t in turns)
    if any(IMAGE_PLACEHOLDER in t.text for t in turns if t.role == "assistant"):
        return bad(f"{IMAGE_PLACEHOLDER} appears in an assistant turn; put it in the first user turn")
    if "image" not in raw or raw["image"] is None:
        if placeholders:
            return bad(f"{IMAGE_PLACEHOLDER} in the conversation but the record has no 'image'")
        return Record(record_id, where, tuple(turns), None)
    if placeholders != 1:
        return bad(f"the record has an image but {placeholders} {IMAGE_PLACEHOLDER} placeholders; use exactly one")
    path, reason = resolve_image(raw["image"], image_root)
    if reason:
        return bad(reason)
    return Record(record_id, where, tuple(turns), path)


def load_records(path: str | Path, image_root: str | Path | None,
                 skip_bad_records: bool) -> tuple[list[Record], list[BadRecord]]:
    """Validated records, plus the skipped ones (only with skip_bad_records; otherwise the first raises)."""
    path = Path(path)
    root = None if image_root is None else Path(image_root)
    if root is not None and not root.is_dir():
        raise TrainDataError(f"image_root {root} is not a directory; fix image_root")
    records, skipped = [], []
    for where, raw in read_raw(path):
        item = raw if isinstance(raw, BadRecord) else validate(where, raw, root)
        if isinstance(item, BadRecord):
            if not skip_bad_records:
                raise TrainDataError(f"{item.message()}; fix it or set skip_bad_records: true")
            skipped.append(item)
        else:
            records.append(item)
    return records, skipped


__all__ = ["Turn", "Record", "BadRecord", "load_records", "read_raw", "validate", "resolve_image"]
