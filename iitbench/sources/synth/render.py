"""Scene specs and their PIL rendering: flat shapes and text on a white canvas, saved as metadata-free PNG.

A `Scene` is the full, frozen description of an image; `render(scene)` is a pure function of it, so the same
spec always gives the same bytes (no antialiasing randomness, no PNG timestamps or text chunks).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

IMAGE_SIZE = 96
BACKGROUND = (255, 255, 255)
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "blue": (30, 60, 220),
    "green": (30, 160, 50),
    "yellow": (235, 200, 0),
    "orange": (245, 130, 20),
    "purple": (140, 50, 180),
    "pink": (245, 120, 190),
    "black": (20, 20, 20),
}
SHAPES = ("circle", "square", "triangle", "star", "diamond", "cross")


@dataclass(frozen=True)
class Shape:
    """A filled shape centred at (cx, cy) that fits in a circle of radius r."""

    shape: str
    colour: str
    cx: int
    cy: int
    r: int


@dataclass(frozen=True)
class Text:
    """Text drawn with Pillow's default font, centred at (cx, cy)."""

    text: str
    colour: str
    cx: int
    cy: int
    size: int


@dataclass(frozen=True)
class Scene:
    shapes: tuple[Shape, ...] = ()
    texts: tuple[Text, ...] = ()
    size: int = IMAGE_SIZE


def _ring(cx: int, cy: int, n: int, radii: tuple[float, ...], start_deg: float) -> list[tuple[float, float]]:
    """`n` points at equal angular steps, cycling through `radii` (one radius: regular polygon; two: a star)."""
    step = 360.0 / n
    pts = []
    for i in range(n):
        a = math.radians(start_deg + i * step)
        rad = radii[i % len(radii)]
        pts.append((round(cx + rad * math.cos(a), 2), round(cy + rad * math.sin(a), 2)))
    return pts


def shape_points(s: Shape) -> list[tuple[float, float]]:
    """The polygon of a non-circle shape."""
    cx, cy, r = s.cx, s.cy, s.r
    if s.shape == "square":
        q = r * 0.8
        return [(cx - q, cy - q), (cx + q, cy - q), (cx + q, cy + q), (cx - q, cy + q)]
    if s.shape == "triangle":
        return _ring(cx, cy, 3, (r,), -90)
    if s.shape == "diamond":
        return _ring(cx, cy, 4, (r,), -90)
    if s.shape == "star":
        return _ring(cx, cy, 10, (r, r * 0.45), -90)
    if s.shape == "cross":
        w = r * 0.35
        return [
            (cx - w, cy - r), (cx + w, cy - r), (cx + w, cy - w), (cx + r, cy - w), (cx + r, cy + w),
            (cx + w, cy + w), (cx + w, cy + r), (cx - w, cy + r), (cx - w, cy + w), (cx - r, cy + w),
            (cx - r, cy - w), (cx - w, cy - w),
        ]  # fmt: skip
    raise ValueError(f"unknown shape {s.shape!r}; known: {', '.join(SHAPES)}")


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw(scene: Scene) -> Image.Image:
    img = Image.new("RGB", (scene.size, scene.size), BACKGROUND)
    d = ImageDraw.Draw(img)
    for s in scene.shapes:
        fill = PALETTE[s.colour]
        if s.shape == "circle":
            d.ellipse((s.cx - s.r, s.cy - s.r, s.cx + s.r, s.cy + s.r), fill=fill)
        else:
            d.polygon(shape_points(s), fill=fill)
    for t in scene.texts:
        d.text((t.cx, t.cy), t.text, fill=PALETTE[t.colour], font=font(t.size), anchor="mm")
    return img


def encode_png(img: Image.Image) -> bytes:
    """PNG bytes with fixed settings and no metadata chunks, so equal images give equal bytes."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def render(scene: Scene) -> bytes:
    return encode_png(draw(scene))
