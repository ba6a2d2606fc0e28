"""The dataset manifest: strict reading, one-line errors naming file/line/item, safe images, fingerprints."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iitbench.data.images import MAX_IMAGE_PIXELS, decode_image, load_image
from iitbench.data.manifest import fingerprint, load_dataset_dir, write_dataset
from iitbench.data.types import ImagePart, Item, TextPart, Turn
from iitbench.errors import DataError


def _png(color=(200, 10, 10), size=(16, 16), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, format="PNG")
    return buf.getvalue()


def _turn(kind="T", image="images/a.png", answer=0, choices=("x", "y", "z", "w")) -> dict:
    parts = [{"type": "text", "text": "what?"}]
    if kind == "V":
        parts.insert(0, {"type": "image", "path": image})
    return {"kind": kind, "source": "test", "parts": parts, "choices": list(choices), "answer": answer}


def _item(item_id="i1", config="TV", **turn_kw) -> dict:
    return {"id": item_id, "config": config, "turns": [_turn(k, **turn_kw) for k in config]}


def _write(root: Path, lines: list) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "images").mkdir(exist_ok=True)
    (root / "images" / "a.png").write_bytes(_png())
    text = "".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n" for ln in lines)
    (root / "items.jsonl").write_text(text)
    return root


def test_valid_dataset_loads_with_defaults(tmp_path):
    ds = load_dataset_dir(_write(tmp_path / "d", [_item("a", "TV"), _item("b", "T")]))
    assert [it.id for it in ds.items] == ["a", "b"]
    assert ds.items[0].scored_turn == 1 and ds.items[0].position() == "image-turn"
    assert ds.card.counts_per_config == {"T": 1, "TV": 1}
    assert len(ds.fingerprint) == 64


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "a", "config": "T",', "items.jsonl:1: malformed JSON"),
        ({"config": "T", "turns": [_turn()]}, "missing field 'id'"),
        (_item(answer=7), "answer index 7 is out of range for 4 choices"),
        (_item(choices=("only",), answer=0), "1 choice(s); a multiple-choice turn needs at least 2"),
        ({**_item(config="T"), "config": "X"}, "unknown letter 'X'"),
        (_item(config="TV", image="/etc/passwd"), "must be relative"),
        (_item(config="TV", image="../outside.png"), "escapes the dataset directory"),
        (_item(config="TV", image="images/missing.png"), "is missing"),
        ({**_item(config="T"), "extra": 1}, "unknown field(s) ['extra']"),
        ({**_item(config="TT"), "config": "TV"}, "does not match the turn kinds"),
    ],
)
def test_bad_items_give_one_line_errors_naming_file_and_item(tmp_path, line, message):
    root = _write(tmp_path / "d", [line])
    with pytest.raises(DataError) as exc:
        load_dataset_dir(root)
    text = str(exc.value)
    assert message in text
    assert "\n" not in text
    assert "items.jsonl" in text


def test_duplicate_ids_are_rejected_with_both_lines(tmp_path):
    root = _write(tmp_path / "d", [_item("a", "T"), _item("a", "T")])
    with pytest.raises(DataError, match=r"items.jsonl:2: duplicate item id 'a' \(first on line 1\)"):
        load_dataset_dir(root)


def test_corrupt_and_truncated_images_are_reported(tmp_path):
    root = _write(tmp_path / "d", [_item("a", "TV")])
    (root / "images" / "a.png").write_bytes(_png()[:40])
    with pytest.raises(DataError, match=r"corrupt or truncated image"):
        load_dataset_dir(root)
    (root / "images" / "a.png").write_bytes(b"not an image at all")
    with pytest.raises(DataError, match=r"item 'a' turn 1.*corrupt"):
        load_dataset_dir(root)


def test_decompression_bomb_is_refused(tmp_path):
    side = int(MAX_IMAGE_PIXELS**0.5) + 100  # just over the limit; a 1-bit image keeps the file tiny
    buf = io.BytesIO()
    Image.new("1", (side, side)).save(buf, format="PNG")
    with pytest.raises(DataError, match="too large"):
        decode_image(buf.getvalue(), "bomb.png")


@pytest.mark.parametrize("mode", ["CMYK", "P", "I;16", "LA", "RGBA", "L"])
def test_unusual_image_modes_are_converted_to_rgb(tmp_path, mode):
    if mode == "I;16":
        img = Image.fromarray(np.full((8, 8), 40000, dtype=np.uint16))
        fmt = "PNG"
    else:
        img = Image.new(mode, (8, 8))
        fmt = "TIFF" if mode == "CMYK" else "PNG"
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    out = decode_image(buf.getvalue(), f"x.{fmt.lower()}")
    assert out.mode == "RGB" and out.size == (8, 8)
    if mode == "I;16":  # 16-bit values are scaled, not clipped to white
        assert 150 < out.getpixel((0, 0))[0] < 160


def test_symlink_escaping_the_root_is_refused(tmp_path):
    outside = tmp_path / "secret.png"
    outside.write_bytes(_png())
    root = _write(tmp_path / "d", [_item("a", "TV", image="images/link.png")])
    (root / "images" / "link.png").symlink_to(outside)
    with pytest.raises(DataError, match="outside the dataset directory"):
        load_image(root, "images/link.png")


def test_write_then_read_round_trips_and_fingerprint_tracks_image_bytes(tmp_path):
    root = tmp_path / "d"
    (root / "images").mkdir(parents=True)
    (root / "images" / "a.png").write_bytes(_png())
    turn_v = Turn("V", "s", (ImagePart("images/a.png"), TextPart("colour?")), ("red", "blue"), 0, {"qid": "q1"})
    turn_t = Turn("T", "s", (TextPart("2+2?"),), ("4", "5"), 0)
    items = [Item("x", "TV", (turn_t, turn_v), 1)]
    card = write_dataset(root, items, "t", "1", {"s": "CC0"}, {"seed": 0})
    ds = load_dataset_dir(root)
    assert ds.items == tuple(items)
    assert ds.card == card
    before = fingerprint(root)
    (root / "images" / "a.png").write_bytes(_png(color=(0, 0, 255)))
    assert fingerprint(root) != before
    # Same content written again: byte-identical files.
    first = (root / "items.jsonl").read_bytes()
    write_dataset(root, items, "t", "1", {"s": "CC0"}, {"seed": 0})
    assert (root / "items.jsonl").read_bytes() == first


def test_missing_directory_and_empty_manifest(tmp_path):
    with pytest.raises(DataError, match="not a directory"):
        load_dataset_dir(tmp_path / "nope")
    (tmp_path / "e").mkdir()
    with pytest.raises(DataError, match="items.jsonl: not found"):
        load_dataset_dir(tmp_path / "e")
    (tmp_path / "e" / "items.jsonl").write_text("\n")
    with pytest.raises(DataError, match="no items"):
        load_dataset_dir(tmp_path / "e")
