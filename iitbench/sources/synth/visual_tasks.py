"""Visual families: questions about a rendered scene (shape, colour, count, position, relation, text, size).

Each draw is a frozen `Scene` plus the question; the split key is a coarse scene spec (attributes and layout
buckets), so no scene of the test split appears in train and the exact rendered scenes are disjoint too.
Every question refers to "the image"; the image part comes first in the Question.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from iitbench.sources.synth.core import Family, Generated, draw_in_split, with_options
from iitbench.sources.synth.render import IMAGE_SIZE, PALETTE, SHAPES, Scene, Shape, Text, render
from iitbench.sources.synth.text_tasks import WORDS3, WORDS4

COLOURS = tuple(PALETTE)
PLURAL = {s: (s + "es" if s.endswith("s") else s + "s") for s in SHAPES}
POSITIONS = {"left": (20, 48), "right": (76, 48), "top": (48, 20), "bottom": (48, 76), "centre": (48, 48)}
RELATIONS = ("left", "right", "above", "below")
COUNTS = tuple(str(i) for i in range(1, 10))
NUMBERS = tuple(str(i) for i in range(10, 100))
READ_COLOURS = ("black", "blue", "red", "purple", "green")  # enough contrast on white for small text
_CELL = IMAGE_SIZE // 4  # the count family's 4x4 grid


@dataclass(frozen=True)
class VisualDraw:
    """A sampled visual question: the scene to render, the question, the gold answer and the split key."""

    key: str
    scene: Scene
    text: str
    correct: str
    prefer: tuple[str, ...]
    pool: tuple[str, ...]


def _single(rng: random.Random) -> tuple[Shape, str]:
    shape, colour, r = rng.choice(SHAPES), rng.choice(COLOURS), rng.randint(16, 32)
    cx, cy = rng.randint(r + 4, IMAGE_SIZE - r - 4), rng.randint(r + 4, IMAGE_SIZE - r - 4)
    return Shape(shape, colour, cx, cy, r), f"{shape}|{colour}|{r // 6}|{cx // 24}|{cy // 24}"


def _shape(rng: random.Random) -> VisualDraw:
    s, key = _single(rng)
    return VisualDraw(key, Scene((s,)), "What shape is shown in the image?", s.shape, (), SHAPES)


def _colour(rng: random.Random) -> VisualDraw:
    s, key = _single(rng)
    return VisualDraw(key, Scene((s,)), "What colour is the shape in the image?", s.colour, (), COLOURS)


def _count(rng: random.Random) -> VisualDraw:
    shape, other = rng.sample(SHAPES, 2)
    n, n_other = rng.randint(1, 8), rng.randint(0, 2)
    cells = rng.sample(range(16), n + n_other)
    colour, other_colour = rng.choice(COLOURS), rng.choice(COLOURS)
    shapes = []
    for i, cell in enumerate(cells):
        cx, cy = _CELL // 2 + _CELL * (cell % 4), _CELL // 2 + _CELL * (cell // 4)
        s, c = (shape, colour) if i < n else (other, other_colour)
        # Radius <= 8 and jitter <= 2 keep a gap of >= 4 px between neighbours, so objects never touch.
        shapes.append(Shape(s, c, cx + rng.randint(-2, 2), cy + rng.randint(-2, 2), rng.randint(6, 8)))
    key = f"{shape}|{colour}|{sorted(cells[:n])}|{other}|{other_colour}|{sorted(cells[n:])}"
    near = tuple(str(n + d) for d in (-2, -1, 1, 2) if 1 <= n + d <= 9)
    text = f"How many {PLURAL[shape]} are in the image?"
    return VisualDraw(key, Scene(tuple(shapes)), text, str(n), near, COUNTS)


def _position(rng: random.Random) -> VisualDraw:
    shape, colour, where, r = rng.choice(SHAPES), rng.choice(COLOURS), rng.choice(sorted(POSITIONS)), rng.randint(9, 13)
    x, y = POSITIONS[where]
    s = Shape(shape, colour, x + rng.randint(-4, 4), y + rng.randint(-4, 4), r)
    text = f"Where is the {shape} in the image?"
    return VisualDraw(f"{shape}|{colour}|{where}|{r}", Scene((s,)), text, where, (), tuple(POSITIONS))


def _relation(rng: random.Random) -> VisualDraw:
    (sa, sb), (ca, cb) = rng.sample(SHAPES, 2), (rng.choice(COLOURS), rng.choice(COLOURS))
    rel = rng.choice(RELATIONS)
    near, far = 24 + rng.randint(-4, 4), 72 + rng.randint(-4, 4)
    across = 48 + rng.randint(-16, 16)
    first, second = (near, far) if rel in ("left", "above") else (far, near)
    if rel in ("left", "right"):
        (ax, ay), (bx, by) = (first, across + rng.randint(-4, 4)), (second, across + rng.randint(-4, 4))
    else:
        (ax, ay), (bx, by) = (across + rng.randint(-4, 4), first), (across + rng.randint(-4, 4), second)
    a, b = Shape(sa, ca, ax, ay, rng.randint(9, 13)), Shape(sb, cb, bx, by, rng.randint(9, 13))
    text = f"In the image, where is the {ca} {sa} compared with the {cb} {sb}?"
    key = f"{sa}|{ca}|{sb}|{cb}|{rel}|{across // 8}"
    return VisualDraw(key, Scene((a, b)), text, rel, (), RELATIONS)


def _read(rng: random.Random) -> VisualDraw:
    if rng.random() < 0.5:
        word = rng.choice(WORDS3 + WORDS4)
        pool = tuple(w for w in WORDS3 + WORDS4 if len(w) == len(word))
        prefer = tuple(w for w in pool if w[0] == word[0] or w[-1] == word[-1])
    else:
        word, pool = rng.choice(NUMBERS), NUMBERS
        prefer = tuple(x for x in NUMBERS if (x[0] == word[0]) != (x[1] == word[1]))  # one digit differs
    colour, size = rng.choice(READ_COLOURS), rng.randint(22, 30)
    cx, cy = 48 + rng.randint(-10, 10), 48 + rng.randint(-20, 20)
    scene = Scene(texts=(Text(word, colour, cx, cy, size),))
    key = f"{word}|{colour}|{size // 3}|{cx // 8}|{cy // 8}"
    return VisualDraw(key, scene, "What is written in the image?", word, prefer, pool)


def _biggest(rng: random.Random) -> VisualDraw:
    # One shape kind for all three, so "biggest" by radius is also biggest by area.
    shape, colours = rng.choice(SHAPES), rng.sample(COLOURS, 3)
    radii = sorted(rng.sample((7, 11, 15, 19), 3), reverse=True)
    cells = rng.sample(range(4), 3)
    shapes = tuple(
        Shape(shape, c, 24 + 48 * (cell % 2) + rng.randint(-2, 2), 24 + 48 * (cell // 2) + rng.randint(-2, 2), r)
        for c, r, cell in zip(colours, radii, cells)
    )
    key = f"{shape}|" + "|".join(f"{s.colour},{s.r},{cell}" for s, cell in zip(shapes, cells))
    text = f"What colour is the biggest {shape} in the image?"
    return VisualDraw(key, Scene(shapes), text, colours[0], tuple(colours), COLOURS)


def _family(name: str, sample, description: str, space: frozenset[str]) -> Family:
    def generate(rng: random.Random, split: str) -> Generated:
        d = draw_in_split(rng, split, name, sample)
        options, answer = with_options(rng, d.correct, d.pool, d.prefer)
        return Generated(d.text, options, answer, d.key, image=render(d.scene), spec=d)

    return Family(name=name, kind="V", generate=generate, description=description, answer_space=space)


FAMILIES = (
    _family("shape", _shape, "name the one shape in the image", frozenset(SHAPES)),
    _family("colour", _colour, "name the colour of the one shape in the image", frozenset(COLOURS)),
    _family("count", _count, "count the shapes of one kind among a few others", frozenset(COUNTS)),
    _family("position", _position, "where the shape is: left, right, top, bottom or centre", frozenset(POSITIONS)),
    _family("relation", _relation, "left/right/above/below relation between two shapes", frozenset(RELATIONS)),
    _family("read", _read, "read a rendered word or two-digit number", frozenset(WORDS3 + WORDS4 + NUMBERS)),
    _family("biggest", _biggest, "colour of the biggest of three shapes of one kind", frozenset(COLOURS)),
)  # fmt: skip
