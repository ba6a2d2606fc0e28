"""Images for the sample browser: each distinct image embedded once, as a small data-URI thumbnail (plus a larger
copy for click-to-enlarge while a size budget lasts).

A 10,000-item report cannot embed full-size images; thumbnails keep it at a few tens of MB and identical images
(same file bytes, e.g. one picture reused by several dialogues) are stored once and referenced by index. Paths are
confined to the dataset root and decoded with PIL's decompression-bomb guard on, by the same code the models use
(`iitbench.data.images`), so a report never reads outside a dataset nor decodes a bomb.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image

from iitbench.data.images import decode_image, resolve_image
from iitbench.errors import DataError

THUMB_PX = 160  # longest side of the inline thumbnail
LARGE_PX = 640  # longest side of the click-to-enlarge copy
LARGE_BUDGET_BYTES = 16 * 2**20  # enlargements embedded until one does not fit; later images enlarge the thumbnail
JPEG_QUALITY = 80
WEBP_QUALITY = 75
PNG_MAX_COLOURS = 256  # up to this many distinct colours an image is a drawing: PNG


@dataclass(frozen=True)
class EmbeddedImage:
    """One distinct image: data URIs of its thumbnail and (budget allowing) its enlargement, original size."""

    thumb: str
    large: str | None
    width: int
    height: int

    def to_json(self) -> list:
        return [self.thumb, self.large, self.width, self.height]


@lru_cache(maxsize=1)
def _photo_format() -> tuple[str, dict]:
    """WebP (about 2.5x smaller than JPEG at 160 px, shown by every current browser) when this PIL can write it;
    method 2: near the size of the slowest setting at a third of its encoding time."""
    from PIL import features

    return ("webp", {"quality": WEBP_QUALITY, "method": 2}) if features.check("webp") else \
        ("jpeg", {"quality": JPEG_QUALITY})


def _data_uri(img: Image.Image, px: int) -> str:
    """`img` at `px` longest side as a data URI: PNG when it has few colours (drawings, charts: small and sharp),
    WebP or JPEG otherwise (photos: PNG would be several times larger and slow to encode). The encoders are
    deterministic, so the same inputs give the same report bytes."""
    small = img.copy()
    small.thumbnail((px, px), Image.Resampling.LANCZOS, reducing_gap=2.0)  # never upscales
    buf = io.BytesIO()
    fmt, options = ("png", {"optimize": True}) if small.getcolors(PNG_MAX_COLOURS) is not None else _photo_format()
    small.save(buf, fmt, **options)
    return f"data:image/{fmt};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


class ImageTable:
    """The report's distinct images, in order of first use; `add` returns an image's index (or why it is not shown)."""

    def __init__(self, thumb_px: int = THUMB_PX, large_px: int = LARGE_PX, large_budget: int = LARGE_BUDGET_BYTES):
        self.thumb_px, self.large_px, self.large_left = thumb_px, large_px, large_budget
        self.images: list[EmbeddedImage] = []
        self._by_hash: dict[str, int] = {}
        self._by_file: dict[Path, int | str] = {}  # each file read once even when many turns show it

    def add(self, root: Path, rel: str, where: str) -> int | str:
        """Index of the image `rel` of dataset `root`, or a one-line reason (missing, escaping, corrupt, too big)."""
        try:
            full = resolve_image(root, rel, where)  # confined to the dataset root, symlinks included
        except DataError as e:
            return str(e)
        if full in self._by_file:
            return self._by_file[full]
        out = self._add_file(full, where)
        self._by_file[full] = out
        return out

    def _add_file(self, full: Path, where: str) -> int | str:
        try:
            data = full.read_bytes()
        except OSError as e:
            return f"{where}: cannot read {full} ({e.strerror})"
        digest = hashlib.sha256(data).hexdigest()
        if digest in self._by_hash:  # the same picture under another name
            return self._by_hash[digest]
        try:
            img = decode_image(data, f"{where}: {full}")  # bomb guard on; any mode to RGB
        except DataError as e:
            return str(e)
        thumb = _data_uri(img, self.thumb_px)
        large = None
        if max(img.size) > self.thumb_px and self.large_left > 0:
            large = _data_uri(img, self.large_px)
            if len(large) > self.large_left:  # budget spent: this and later images enlarge their thumbnail
                large, self.large_left = None, 0  # (and no time goes into encoding copies that cannot fit)
            else:
                self.large_left -= len(large)
        self._by_hash[digest] = len(self.images)
        self.images.append(EmbeddedImage(thumb, large, img.width, img.height))
        return len(self.images) - 1

    def to_json(self) -> list[list]:
        return [im.to_json() for im in self.images]
