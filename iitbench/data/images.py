"""Safe image loading: paths confined to the dataset root, decompression-bomb guard on, odd modes converted.

Every image an adapter sees goes through `load_image`, so a corrupt, missing, escaping or oversized file is
reported once, with its path and what to do, instead of failing deep inside a processor.
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache
from pathlib import Path, PurePosixPath

from PIL import Image, ImageFile

from iitbench.errors import DataError

# PIL's own default (~89 Mpx); we turn its warning into an error rather than letting 2x that through.
MAX_IMAGE_PIXELS = 89_478_485
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False


def check_relative(path: str, where: str) -> PurePosixPath:
    """Reject absolute paths and `..` escapes; `where` names the item for the message."""
    p = PurePosixPath(path)
    if not path or p.is_absolute() or Path(path).is_absolute() or "\\" in path:
        raise DataError(f"{where}: image path {path!r} must be relative to the dataset directory (e.g. images/x.png)")
    if ".." in p.parts:
        raise DataError(f"{where}: image path {path!r} escapes the dataset directory; keep images under it")
    return p


def resolve_image(root: Path, path: str, where: str) -> Path:
    """The absolute file for a relative image path, checked to stay inside `root` (symlinks included)."""
    rel = check_relative(path, where)
    root = root.resolve()
    full = (root / rel).resolve()
    if root not in full.parents:
        raise DataError(f"{where}: image path {path!r} resolves outside the dataset directory {root}")
    if not full.is_file():
        raise DataError(f"{where}: image file {full} is missing; restore it or rebuild the dataset")
    return full


def _open(data: bytes, name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise DataError(
            f"{name}: image is too large ({e}); downscale it below {MAX_IMAGE_PIXELS} pixels"
        ) from None
    except (OSError, SyntaxError, ValueError) as e:
        raise DataError(f"{name}: corrupt or truncated image ({e}); replace the file") from None
    return img


def to_rgb(img: Image.Image) -> Image.Image:
    """Convert any mode (CMYK, 16-bit I;16/I, palette with transparency, LA, ...) to 8-bit RGB."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Scale high-bit-depth greyscale into 0..255 instead of clipping it to white.
        import numpy as np

        arr = np.asarray(img, dtype=np.float64)
        hi = float(arr.max()) or 1.0
        arr = (arr / (65535.0 if hi > 255 else 255.0) * 255.0).clip(0, 255).astype("uint8")
        return Image.fromarray(arr, mode="L").convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA"):
        bg = Image.new("RGB", img.size, (255, 255, 255))
        bg.paste(img.convert("RGBA"), mask=img.convert("RGBA").split()[-1])
        return bg
    return img.convert("RGB")


def decode_image(data: bytes, name: str) -> Image.Image:
    """Decode encoded bytes into an RGB image, with the same checks as files."""
    return to_rgb(_open(data, name))


@lru_cache(maxsize=256)
def _load_cached(full: str, mtime_ns: int, size: int) -> Image.Image:
    return decode_image(Path(full).read_bytes(), full)


def load_image(root: Path, path: str, where: str = "") -> Image.Image:
    """Load an image of a dataset as RGB. Cached (keyed by file, mtime and size); callers must not mutate it."""
    full = resolve_image(Path(root), path, where or path)
    st = full.stat()
    return _load_cached(str(full), st.st_mtime_ns, st.st_size)


def verify_image(root: Path, path: str, where: str) -> Path:
    """Check that an image exists, stays inside root and decodes; returns the file."""
    full = resolve_image(Path(root), path, where)
    decode_image(full.read_bytes(), f"{where}: {full}")
    return full
