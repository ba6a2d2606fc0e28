"""Dataset directories: `items.jsonl` + `dataset.json` + `images/`, read strictly and written atomically.

Reading validates every line and names the file, line and item on the first problem (a `DataError`, exit 2).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.data.images import check_relative, verify_image
from iitbench.data.types import TURN_KINDS, DatasetCard, ImagePart, Item, Part, TextPart, Turn
from iitbench.errors import DataError

ITEMS_FILE = "items.jsonl"
CARD_FILE = "dataset.json"

_ITEM_KEYS = {"id", "config", "turns", "scored_turn", "meta"}
_TURN_KEYS = {"kind", "source", "parts", "choices", "answer", "meta"}


def check_config(config: str, where: str) -> str:
    """A config is any non-empty string over {T, V}."""
    if not isinstance(config, str) or not config or any(c not in TURN_KINDS for c in config):
        bad = sorted({c for c in str(config) if c not in TURN_KINDS}) if config else []
        raise DataError(
            f"{where}: config {config!r} is not a string over T/V"
            + (f" (unknown letter {', '.join(map(repr, bad))})" if bad else "")
            + "; use e.g. T, TT, TTV, TV, V"
        )
    return config


def _need(obj: dict, key: str, typ: type | tuple, where: str) -> Any:
    if key not in obj:
        raise DataError(f"{where}: missing field {key!r}; add it (see README, 'Data manifest')")
    val = obj[key]
    if not isinstance(val, typ) or (typ is int and isinstance(val, bool)):
        name = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
        raise DataError(f"{where}: field {key!r} must be {name}, got {type(val).__name__}")
    if isinstance(val, str):
        _unicode(val, f"{where}: field {key!r}")
    return val


def _unicode(text: str, what: str) -> str:
    """Valid JSON can carry lone surrogates ("\\ud800"), which no UTF-8 file can hold: refuse them when read."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise DataError(f"{what} holds a lone surrogate ({text[e.start]!r} at character {e.start}), which is not "
                        "text; fix the string") from None
    return text


def _parse_part(obj: Any, where: str) -> Part:
    if not isinstance(obj, dict) or obj.get("type") not in ("text", "image"):
        raise DataError(f"{where}: a part must be {{'type': 'text', 'text': ...}} or {{'type': 'image', 'path': ...}}")
    if obj["type"] == "text":
        return TextPart(_need(obj, "text", str, where))
    path = _need(obj, "path", str, where)
    check_relative(path, where)
    return ImagePart(path)


def parse_turn(obj: Any, where: str) -> Turn:
    if not isinstance(obj, dict):
        raise DataError(f"{where}: a turn must be a JSON object")
    unknown = set(obj) - _TURN_KEYS
    if unknown:
        raise DataError(f"{where}: unknown field(s) {sorted(unknown)}; put free-form data under 'meta'")
    kind = _need(obj, "kind", str, where)
    if kind not in TURN_KINDS:
        raise DataError(f"{where}: kind {kind!r} must be 'T' or 'V'")
    source = _need(obj, "source", str, where)
    parts = tuple(_parse_part(p, f"{where} part {i}") for i, p in enumerate(_need(obj, "parts", list, where)))
    if not parts:
        raise DataError(f"{where}: 'parts' is empty; a turn needs at least one text part")
    has_image = any(isinstance(p, ImagePart) for p in parts)
    if has_image != (kind == "V"):
        raise DataError(f"{where}: kind {kind!r} but the turn {'has' if has_image else 'has no'} image part; "
                        "V turns carry images, T turns do not")
    choices = _need(obj, "choices", list, where)
    if len(choices) < 2:
        raise DataError(f"{where}: {len(choices)} choice(s); a multiple-choice turn needs at least 2")
    if not all(isinstance(c, str) for c in choices):
        raise DataError(f"{where}: every choice must be a string")
    for i, c in enumerate(choices):
        if not _unicode(c, f"{where}: choice {i}").strip():
            raise DataError(f"{where}: choice {i} is empty; an empty option has no tokens to score (it would "
                            "always win); give every option text")
    answer = _need(obj, "answer", int, where)
    if not 0 <= answer < len(choices):
        raise DataError(f"{where}: answer index {answer} is out of range for {len(choices)} choices (0..{len(choices) - 1})")
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise DataError(f"{where}: 'meta' must be an object")
    return Turn(kind=kind, source=source, parts=parts, choices=tuple(choices), answer=answer, meta=meta)


def parse_item(obj: Any, where: str) -> Item:
    if not isinstance(obj, dict):
        raise DataError(f"{where}: an item must be a JSON object")
    unknown = set(obj) - _ITEM_KEYS
    if unknown:
        raise DataError(f"{where}: unknown field(s) {sorted(unknown)}; put free-form data under 'meta'")
    item_id = _need(obj, "id", str, where)
    if not item_id:
        raise DataError(f"{where}: empty item id")
    where = f"{where} (item {item_id!r})"
    config = check_config(_need(obj, "config", str, where), where)
    turns = tuple(parse_turn(t, f"{where} turn {i}") for i, t in enumerate(_need(obj, "turns", list, where)))
    kinds = "".join(t.kind for t in turns)
    if kinds != config:
        raise DataError(f"{where}: config {config!r} does not match the turn kinds {kinds!r}")
    scored = obj.get("scored_turn", len(turns) - 1)
    if not isinstance(scored, int) or isinstance(scored, bool) or not 0 <= scored < len(turns):
        raise DataError(f"{where}: scored_turn {scored!r} is not a turn index (0..{len(turns) - 1})")
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise DataError(f"{where}: 'meta' must be an object")
    return Item(id=item_id, config=config, turns=turns, scored_turn=scored, meta=meta)


def iter_items(path: Path) -> Iterable[Item]:
    """Parse items.jsonl line by line; blank lines are skipped, ids must be unique."""
    seen: dict[str, int] = {}
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise DataError(f"{path}: not found; a dataset directory needs {ITEMS_FILE} (build one with `iitbench build`)") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory; {ITEMS_FILE} must be a file with one JSON item per line") from None
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror}); check its permissions") from None
    with fh:
        for lineno, raw in enumerate(fh, 1):
            where = f"{path}:{lineno}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise DataError(f"{where}: not UTF-8 (byte 0x{raw[e.start]:02x} at column {e.start + 1}); save the "
                                "file as UTF-8") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as e:
                raise DataError(f"{where}: malformed JSON ({e.msg} at column {e.colno}); fix or remove the line") from None
            except RecursionError:
                raise DataError(f"{where}: JSON nested too deeply to be an item; fix or remove the line") from None
            item = parse_item(obj, where)
            if item.id in seen:
                raise DataError(f"{where}: duplicate item id {item.id!r} (first on line {seen[item.id]}); ids must be unique")
            seen[item.id] = lineno
            yield item


@dataclass(frozen=True)
class Dataset:
    """A validated dataset directory."""

    root: Path
    items: tuple[Item, ...]
    card: DatasetCard

    @property
    def fingerprint(self) -> str:
        return self.card.fingerprint

    def to_pandas(self):
        """One row per item: id, config, turn count, scored turn, sources, image count (pandas imported here)."""
        import pandas as pd

        return pd.DataFrame([{"id": it.id, "config": it.config, "n_turns": len(it.turns),
                              "scored_turn": it.scored_turn, "sources": ",".join(t.source for t in it.turns),
                              "n_images": sum(isinstance(p, ImagePart) for t in it.turns for p in t.parts),
                              "has_image": it.has_image} for it in self.items],
                            columns=["id", "config", "n_turns", "scored_turn", "sources", "n_images", "has_image"])


def fingerprint(root: Path, items: Iterable[Item] | None = None) -> str:
    """Content hash of the manifest and every image it references (sha256, hex)."""
    root = Path(root)
    h = hashlib.sha256()
    items_bytes = (root / ITEMS_FILE).read_bytes()
    h.update(b"items\0" + hashlib.sha256(items_bytes).digest())
    items = iter_items(root / ITEMS_FILE) if items is None else items
    paths = sorted({p.path for it in items for t in it.turns for p in t.images})
    for rel in paths:
        full = root / rel
        data = full.read_bytes() if full.is_file() else b"<missing>"
        h.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def make_card(items: Iterable[Item], root: Path, name: str, version: str, licences: dict[str, str],
              build: dict[str, Any]) -> DatasetCard:
    items = list(items)
    return DatasetCard(
        name=name,
        version=version,
        fingerprint=fingerprint(root, items),
        n_items=len(items),
        counts_per_config=dict(sorted(Counter(it.config for it in items).items())),
        counts_per_source=dict(sorted(Counter(t.source for it in items for t in it.turns).items())),
        licences=dict(sorted(licences.items())),
        build=build,
    )


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def dumps_item(item: Item) -> str:
    return json.dumps(item.to_json(), ensure_ascii=False, sort_keys=True)


def write_dataset(root: Path, items: Iterable[Item], name: str, version: str, licences: dict[str, str],
                  build: dict[str, Any]) -> DatasetCard:
    """Write items.jsonl then dataset.json (images must already be under root). Deterministic bytes."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    items = list(items)
    ids = Counter(it.id for it in items)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        raise DataError(f"duplicate item id {dup[0]!r} while writing {root}; ids must be unique")
    _atomic_write(root / ITEMS_FILE, "".join(dumps_item(it) + "\n" for it in items).encode())
    card = make_card(items, root, name, version, licences, build)
    _atomic_write(root / CARD_FILE, (json.dumps(card.to_json(), indent=2, sort_keys=True) + "\n").encode())
    return card


def load_dataset_dir(root: Path, check_images: bool = True) -> Dataset:
    """Read and validate a dataset directory. The card is optional (a bare items.jsonl works)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a directory; pass a dataset directory built by `iitbench build`")
    items = tuple(iter_items(root / ITEMS_FILE))
    if not items:
        raise DataError(f"{root / ITEMS_FILE}: no items; build the dataset again")
    if check_images:
        for it in items:
            for ti, t in enumerate(it.turns):
                for p in t.images:
                    verify_image(root, p.path, f"{root / ITEMS_FILE} (item {it.id!r} turn {ti})")
    fp = fingerprint(root, items)
    card_path = root / CARD_FILE
    if card_path.is_file():
        try:
            raw = json.loads(card_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise DataError(f"{card_path}: malformed JSON ({e.msg}, line {e.lineno}); fix it or delete it") from None
        except (UnicodeDecodeError, RecursionError) as e:
            raise DataError(f"{card_path}: not a readable card ({type(e).__name__}); fix it or delete it") from None
        if not isinstance(raw, dict):
            raise DataError(f"{card_path}: must be a JSON object")
        licences, build = raw.get("licences") or {}, raw.get("build") or {}
        if not isinstance(licences, dict) or not all(isinstance(v, str) for v in licences.values()):
            raise DataError(f"{card_path}: 'licences' must be an object {{source: licence}}, got "
                            f"{type(licences).__name__}; fix it or delete the file")
        if not isinstance(build, dict) or not isinstance(raw.get("name", ""), str):
            raise DataError(f"{card_path}: 'build' must be an object and 'name' a string; fix it or delete the file")
        card = make_card(items, root, raw.get("name", root.name), str(raw.get("version", "0")), licences, build)
        if raw.get("fingerprint") not in (None, fp):
            # Edited after build: results record the true content hash, and we say so once.
            import warnings

            warnings.warn(f"{card_path}: fingerprint differs from the contents (edited after build?); using {fp[:12]}",
                          stacklevel=2)
    else:
        card = make_card(items, root, root.name, "0", {}, {})
    return Dataset(root=root, items=items, card=card)
