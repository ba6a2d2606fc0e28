"""Turn whatever an image cell holds into an `ImageBlob` with the original encoded bytes where possible.

datasets' `Image` feature read with `decode=False` gives `{"bytes", "path"}` dicts (the bytes are the original
file); a decoded feature gives PIL images, which we re-encode as PNG (deterministic: no timestamps or text chunks).
Local JSONL files may hold a path (relative to the file) or a base64 string (the OpenCompass TSV convention).
"""

from __future__ import annotations

import base64
import binascii
import io
from pathlib import Path
from typing import Any

from PIL import Image

from iitbench.data.images import to_rgb
from iitbench.data.types import ImageBlob
from iitbench.sources.hf.base import RowContext, SkipRow

# PIL format name -> file extension used in dataset directories.
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp", "BMP": "bmp", "TIFF": "tiff"}
_PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}


def pil_to_png(img: Image.Image) -> bytes:
    """Encode a PIL image as PNG; modes PNG cannot hold (CMYK, YCbCr, F, ...) are converted to RGB first."""
    if img.mode not in _PNG_MODES:
        img = to_rgb(img)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def bytes_to_blob(data: bytes) -> ImageBlob:
    """Wrap encoded bytes, naming the format from the header; unreadable bytes skip the row."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
    except (OSError, SyntaxError, ValueError):
        raise SkipRow("unreadable image") from None
    if fmt in _EXTENSIONS:
        return ImageBlob(data=data, format=_EXTENSIONS[fmt])
    # An exotic container (e.g. MPO, ICO): store a PNG copy so every consumer can read it.
    with Image.open(io.BytesIO(data)) as img:
        return ImageBlob(data=pil_to_png(img), format="png")


def _from_string(value: str, ctx: RowContext) -> bytes:
    if ctx.base_dir is not None and len(value) < 1024:
        path = Path(value) if Path(value).is_absolute() else ctx.base_dir / value
        if path.is_file():
            return path.read_bytes()
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SkipRow("unreadable image") from None


def to_blob(value: Any, ctx: RowContext) -> ImageBlob:
    """An ImageBlob for one image cell; None or an unusable value raises SkipRow."""
    if value is None:
        raise SkipRow("missing image")
    if isinstance(value, Image.Image):
        return ImageBlob(data=pil_to_png(value), format="png")
    if isinstance(value, (bytes, bytearray)):
        return bytes_to_blob(bytes(value))
    if isinstance(value, dict):
        if value.get("bytes"):
            return bytes_to_blob(bytes(value["bytes"]))
        if value.get("path"):
            return bytes_to_blob(_from_string(str(value["path"]), ctx))
        raise SkipRow("missing image")
    if isinstance(value, str) and value:
        return bytes_to_blob(_from_string(value, ctx))
    raise SkipRow("missing image")
