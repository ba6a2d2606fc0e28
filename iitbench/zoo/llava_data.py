"""IIT-synth **train** questions as LLaVA conversation JSON, for training llava-tiny / wings-tiny.

    write_llava_data(out_dir, LlavaDataSpec()) -> out_dir/llava.json, images under out_dir/images/

Each record: {"id", "image": "images/<sha>.png" (relative to out_dir; only when the dialogue has an image),
"conversations": [{"from": "human", "value": "<image>\\n<question + options + instruction>"}, {"from": "gpt",
"value": "B"}, ...]}. The human value is exactly the evaluation prompt (`corpus.user_text`); the gpt value is the gold
letter. Dialogues follow the IIT configs (T, TT, TTT, TTV, TV, V by default): text turns first, at most one image
per dialogue, so `<image>` appears once, in the turn that shows it. Deterministic by seed.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.data.types import ImageBlob, Question
from iitbench.errors import DataError, UserError
from iitbench.sources.synth import load_synth
from iitbench.zoo.corpus import gold_answer, question_text, user_text

IMAGE_TOKEN = "<image>"
JSON_FILE = "llava.json"
IMAGE_DIR = "images"
DEFAULT_CONFIGS = ("T", "TT", "TTT", "TTV", "TV", "V")


@dataclass(frozen=True)
class LlavaDataSpec:
    n_visual_per_family: int = 600  # single-turn V dialogues per visual family
    n_text_per_family: int = 100  # single-turn T dialogues per text family
    n_mixed: int = 2000  # multi-turn dialogues, configs drawn uniformly from `configs`
    configs: tuple[str, ...] = DEFAULT_CONFIGS
    seed: int = 0


def _image_bytes(q: Question) -> bytes | None:
    blobs = [p for p in q.parts if isinstance(p, ImageBlob)]
    if len(blobs) > 1:
        raise DataError(f"question {q.id}: {len(blobs)} images; LLaVA records take one")
    return blobs[0].data if blobs else None


def _save_image(root: Path, data: bytes) -> str:
    rel = f"{IMAGE_DIR}/{hashlib.sha256(data).hexdigest()[:20]}.png"
    path = root / rel
    if not path.exists():
        path.write_bytes(data)
    return rel


def _record(rid: str, questions: list[Question], root: Path) -> dict[str, Any]:
    convs: list[dict[str, str]] = []
    image: str | None = None
    for q in questions:
        value = user_text(question_text(q), q.choices)
        data = _image_bytes(q)
        if data is not None:
            if image is not None:
                raise DataError(f"dialogue {rid}: more than one image turn; use configs with at most one V")
            image = _save_image(root, data)
            value = f"{IMAGE_TOKEN}\n{value}"
        convs += [{"from": "human", "value": value}, {"from": "gpt", "value": gold_answer(q)}]
    return {"id": rid, **({"image": image} if image else {}), "conversations": convs}


def build_records(out_dir: Path, spec: LlavaDataSpec) -> list[dict[str, Any]]:
    for config in spec.configs:
        if not config or set(config) - {"T", "V"} or config.count("V") > 1:
            raise UserError(f"llava data config {config!r}: use T/V strings with at most one V, e.g. TTV")
    root = Path(out_dir)
    (root / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    base = spec.seed * 100 + 50  # synth seeds apart from the base LLM corpus draws
    visual = load_synth("train", spec.n_visual_per_family, base, kinds=("V",))
    text = load_synth("train", spec.n_text_per_family, base + 1, kinds=("T",))
    records = [_record(f"v/{q.id}", [q], root) for q in visual] + [_record(f"t/{q.id}", [q], root) for q in text]
    n_v = sum(c.count("V") for c in spec.configs)
    n_t = sum(c.count("T") for c in spec.configs)
    per_v = -(-spec.n_mixed * n_v // max(1, len(spec.configs)) // 7) + 1 if n_v else 0
    per_t = -(-spec.n_mixed * n_t // max(1, len(spec.configs)) // 7) + 1 if n_t else 0
    pool_v = load_synth("train", per_v, base + 2, kinds=("V",)) if per_v else []
    pool_t = load_synth("train", per_t, base + 3, kinds=("T",)) if per_t else []
    rng = random.Random(base + 4)
    for i in range(spec.n_mixed):
        config = rng.choice(spec.configs)
        qs = [rng.choice(pool_v) if k == "V" else rng.choice(pool_t) for k in config]
        records.append(_record(f"mix/{config}/{i}", qs, root))
    rng.shuffle(records)
    return records


def write_llava_data(out_dir: Path, spec: LlavaDataSpec | None = None) -> Path:
    """Write `llava.json` and its images into `out_dir`; returns the JSON path."""
    spec = spec or LlavaDataSpec()
    records = build_records(Path(out_dir), spec)
    path = Path(out_dir) / JSON_FILE
    path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def check_llava_data(path: Path) -> int:
    """Validate a written file (relative image paths that exist inside its folder, one `<image>` per image record,
    alternating human/gpt turns); returns the record count, DataError on the first problem."""
    path = Path(path)
    root = path.parent.resolve()
    records = json.loads(path.read_text(encoding="utf-8"))
    for rec in records:
        rid, convs = rec.get("id"), rec.get("conversations", [])
        image = rec.get("image")
        n_tokens = sum(c["value"].count(IMAGE_TOKEN) for c in convs)
        if image is not None:
            target = (root / image).resolve()
            if Path(image).is_absolute() or root not in target.parents or not target.is_file():
                raise DataError(f"{path}: record {rid}: image {image!r} must be a relative path to a file under {root}")
        if n_tokens != (1 if image is not None else 0):
            raise DataError(f"{path}: record {rid}: {n_tokens} {IMAGE_TOKEN} tokens for {'one' if image else 'no'} image")
        roles = [c["from"] for c in convs]
        if not roles or roles != ["human", "gpt"] * (len(roles) // 2):
            raise DataError(f"{path}: record {rid}: turns must alternate human/gpt, got {roles}")
    return len(records)


__all__ = ["IMAGE_TOKEN", "JSON_FILE", "LlavaDataSpec", "build_records", "check_llava_data", "write_llava_data"]
