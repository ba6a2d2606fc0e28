"""A small fictional world (made-up creatures with a colour, home, food and size) and the `world` fact family.

The world is fixed (it does not depend on the question seed): a model can only answer questions about it if it
learned the facts, which `world_sentences()` states in plain declarative text for pre-training. The split
partition is over (creature, attribute, phrasing), so the test split asks known facts in phrasings the train
split never pairs with that fact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from iitbench.sources.synth.core import Family, Generated, draw_in_split, with_options

WORLD_SEED = 20240603
CREATURES = (
    "zorb", "mip", "talo", "grek", "vusa", "plin", "dax", "ruko",
    "fenn", "sibo", "kolt", "nema", "jux", "wapa", "bril", "teko",
)  # fmt: skip
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "colour": ("red", "blue", "green", "yellow", "orange", "purple", "pink", "black"),
    "home": ("cave", "forest", "river", "hill", "lake", "desert", "swamp", "island"),
    "food": ("berries", "fish", "nuts", "seeds", "leaves", "honey", "bread", "corn"),
    "size": ("tiny", "small", "big", "huge"),
}
PHRASINGS: dict[str, tuple[str, ...]] = {
    "colour": (
        "What colour is the {e}?",
        "Which colour does the {e} have?",
        "The {e} is what colour?",
        "Tell me the colour of the {e}.",
    ),
    "home": (
        "Where does the {e} live?",
        "What is the home of the {e}?",
        "The {e} lives in which place?",
        "In which place does the {e} live?",
    ),
    "food": (
        "What does the {e} eat?",
        "What food does the {e} like?",
        "The {e} eats what?",
        "Which food is eaten by the {e}?",
    ),
    "size": (
        "How big is the {e}?",
        "What size is the {e}?",
        "The {e} is of what size?",
        "Which size does the {e} have?",
    ),
}
_STATEMENTS = {
    "colour": "The {e} is {v}.",
    "home": "The {e} lives in the {v}.",
    "food": "The {e} eats {v}.",
    "size": "The {e} is {v}.",
}


@lru_cache(maxsize=1)
def world() -> dict[str, dict[str, str]]:
    """creature -> attribute -> value, drawn once from WORLD_SEED."""
    rng = random.Random(WORLD_SEED)
    return {c: {a: rng.choice(vals) for a, vals in ATTRIBUTES.items()} for c in CREATURES}


def world_sentences() -> list[str]:
    """Every fact of the world as one declarative sentence (pre-training text for the tiny zoo)."""
    w = world()
    return [_STATEMENTS[a].format(e=c, v=w[c][a]) for c in CREATURES for a in ATTRIBUTES]


@dataclass(frozen=True)
class _Fact:
    creature: str
    attribute: str
    phrasing: int

    @property
    def key(self) -> str:
        return f"{self.creature}|{self.attribute}|{self.phrasing}"


def _sample(rng: random.Random) -> _Fact:
    attribute = rng.choice(sorted(ATTRIBUTES))
    return _Fact(rng.choice(CREATURES), attribute, rng.randrange(len(PHRASINGS[attribute])))


def generate(rng: random.Random, split: str) -> Generated:
    fact = draw_in_split(rng, split, "world", _sample)
    correct = world()[fact.creature][fact.attribute]
    options, answer = with_options(rng, correct, ATTRIBUTES[fact.attribute])
    text = PHRASINGS[fact.attribute][fact.phrasing].format(e=fact.creature)
    return Generated(text, options, answer, fact.key, spec=fact)


FAMILY = Family(
    name="world",
    kind="T",
    generate=generate,
    description="facts about fixed fictional creatures (colour, home, food, size), asked in four phrasings",
    answer_space=frozenset(v for vals in ATTRIBUTES.values() for v in vals),
)
