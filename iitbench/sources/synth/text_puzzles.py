"""Text families that need a little reasoning over the question itself: simple logic and short passages.

Everything needed to answer is in the question, so held-out test items are answerable by a model that learned
the pattern. The split key is the full question text (passage included).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from iitbench.sources.synth.core import Family, Generated, draw_in_split, with_options

NAMES = ("Ana", "Ben", "Cara", "Dan", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jill", "Kai", "Lena")
VEHICLES = ("bus", "bike", "car", "boat", "train", "cart")
PETS = ("cat", "dog", "bird", "fish", "horse", "goat")
FOODS = ("apples", "pears", "plums", "grapes", "cheese", "rice")
COLOURS = ("red", "blue", "green", "yellow", "orange", "purple", "pink", "black")
OBJECTS = ("ball", "kite", "cup", "hat", "book", "bag", "sock", "drum")
CONTAINERS = ("box", "basket", "room")


@dataclass(frozen=True)
class _Draw:
    text: str
    correct: str
    prefer: tuple[str, ...]
    pool: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.text


def _if_then(rng: random.Random) -> _Draw:
    n = rng.choice(NAMES)
    x, y = rng.sample(VEHICLES, 2)
    rains = rng.random() < 0.5
    text = (
        f"If it rains, {n} takes the {x}. If it is sunny, {n} takes the {y}. "
        f"It {'rains' if rains else 'is sunny'}. What does {n} take?"
    )
    return _Draw(text, x if rains else y, (y if rains else x,), VEHICLES)


def _or_not(rng: random.Random) -> _Draw:
    n = rng.choice(NAMES)
    x, y = rng.sample(PETS, 2)
    text = f"{n} has a {x} or a {y}. {n} does not have a {x}. What does {n} have?"
    return _Draw(text, y, (x,), PETS)


def _every(rng: random.Random) -> _Draw:
    n, obj, place, colour = rng.choice(NAMES), rng.choice(OBJECTS), rng.choice(CONTAINERS), rng.choice(COLOURS)
    text = f"Every {obj} in the {place} is {colour}. {n} takes a {obj} from the {place}. What colour is it?"
    return _Draw(text, colour, (), COLOURS)


def _and_not(rng: random.Random) -> _Draw:
    n, m = rng.sample(NAMES, 2)
    x, y = rng.sample(FOODS, 2)
    text = f"{n} likes {x} and {y}. {m} likes {y} but not {x}. Who likes {x}?"
    return _Draw(text, n, (m,), NAMES)


def _logic(rng: random.Random) -> _Draw:
    return rng.choice((_if_then, _or_not, _every, _and_not))(rng)


def _reading(rng: random.Random) -> _Draw:
    k = rng.choice((2, 3))
    names, objs, cols = rng.sample(NAMES, k), rng.sample(OBJECTS, k), rng.sample(COLOURS, k)
    passage = " ".join(f"{n} has a {c} {o}." for n, c, o in zip(names, cols, objs))
    i = rng.randrange(k)
    ask = rng.choice(("colour", "who", "what"))
    if ask == "colour":
        return _Draw(f"{passage} What colour is {names[i]}'s {objs[i]}?", cols[i], tuple(cols), COLOURS)
    if ask == "who":
        return _Draw(f"{passage} Who has the {objs[i]}?", names[i], tuple(names), NAMES)
    return _Draw(f"{passage} What does {names[i]} have?", objs[i], tuple(objs), OBJECTS)


def _family(name: str, sample, description: str, space: frozenset[str]) -> Family:
    def generate(rng: random.Random, split: str) -> Generated:
        d = draw_in_split(rng, split, name, sample)
        options, answer = with_options(rng, d.correct, d.pool, d.prefer)
        return Generated(d.text, options, answer, d.key, spec=d)

    return Family(name=name, kind="T", generate=generate, description=description, answer_space=space)


FAMILIES = (
    _family("logic", _logic, "if-then, or-elimination, every-rule and and-not puzzles over named facts",
            frozenset(VEHICLES + PETS + COLOURS + NAMES)),
    _family("reading", _reading, "a two- or three-sentence passage, then a question about it",
            frozenset(COLOURS + NAMES + OBJECTS)),
)  # fmt: skip
