"""Text families over numbers and letters: arithmetic, comparison, number sequences, string operations.

The split key of each is its question text (which fixes the answer), so no (question, answer) pair crosses splits.
Numeric distractors are near misses of the same digit count, so the answer cannot be told from its length.
"""

from __future__ import annotations

import itertools
import random
import string
from dataclasses import dataclass

from iitbench.sources.synth.core import Family, Generated, draw_in_split, with_options

LETTERS = string.ascii_lowercase
WORDS3 = (
    "cat", "dog", "sun", "map", "pen", "cup", "hat", "box", "bed", "car", "fox", "pig", "cow", "owl",
    "bus", "net", "jar", "lip", "rug", "fan", "kit", "mud", "web", "yak", "zip", "log", "ant", "bag",
)  # fmt: skip
WORDS4 = (
    "lamp", "frog", "milk", "desk", "star", "wind", "gold", "fish", "coin", "ship", "bird", "rope",
    "king", "wolf", "moth", "park", "band", "cold", "fork", "nest",
)  # fmt: skip


@dataclass(frozen=True)
class _Draw:
    """A sampled question: its text and correct answer (the text is the split key)."""

    text: str
    correct: str
    prefer: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.text


def _near(value: int, lo: int, hi: int, deltas: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(str(value + d) for d in deltas if lo <= value + d <= hi and len(str(value + d)) == len(str(value)))


def _arith(rng: random.Random) -> _Draw:
    a, b = rng.randint(10, 99), rng.randint(10, 99)
    if rng.random() < 0.5:
        value, text = a + b, f"What is {a} plus {b}?"
    else:
        a, b = max(a, b), min(a, b)
        value, text = a - b, f"What is {a} minus {b}?"
    return _Draw(text, str(value), _near(value, 0, 198, (-11, -10, -9, -2, -1, 1, 2, 9, 10, 11)))


def _compare(rng: random.Random) -> _Draw:
    nums = rng.sample(range(10, 100), 4)
    largest = rng.random() < 0.5
    word = "largest" if largest else "smallest"
    text = f"Which number is the {word}: {', '.join(map(str, nums))}?"
    return _Draw(text, str(max(nums) if largest else min(nums)), tuple(map(str, nums)))


def _sequence(rng: random.Random) -> _Draw:
    step = rng.randint(1, 9)
    if rng.random() < 0.5:
        start = rng.randint(1, 30)
        terms = [start + i * step for i in range(5)]
    else:
        start = rng.randint(50, 99)
        terms = [start - i * step for i in range(5)]
    nxt, shown = terms[-1], terms[:-1]
    text = f"What number comes next: {', '.join(map(str, shown))}?"
    prefer = _near(nxt, 0, 99, (-2, -1, 1, 2, step, -step)) + (str(shown[-1]),)
    return _Draw(text, str(nxt), tuple(p for p in prefer if len(p) == len(str(nxt))))


def _letters(rng: random.Random) -> _Draw:
    op = rng.choice(("after", "before", "first", "last", "reverse"))
    if op in ("after", "before"):
        i = rng.randrange(0, 25) if op == "after" else rng.randrange(1, 26)
        j = i + 1 if op == "after" else i - 1
        near = [LETTERS[k] for k in (i, j - 1, j + 1, 2 * j - i) if 0 <= k < 26]
        return _Draw(f"Which letter comes {op} {LETTERS[i]}?", LETTERS[j], tuple(near))
    if op == "reverse":
        word = rng.choice(WORDS3)
        perms = tuple("".join(p) for p in itertools.permutations(word))
        return _Draw(f"What is {word} spelled backwards?", word[::-1], perms)
    word = rng.choice(WORDS3 + WORDS4)
    correct = word[0] if op == "first" else word[-1]
    return _Draw(f"What is the {op} letter of the word {word}?", correct, tuple(word))


def _family(name: str, sample, pool: tuple[str, ...], description: str, space: frozenset[str]) -> Family:
    def generate(rng: random.Random, split: str) -> Generated:
        d = draw_in_split(rng, split, name, sample)
        # Near misses first, then the rest of the pool restricted to the answer's length (no length shortcut).
        same_len = tuple(p for p in pool if len(p) == len(d.correct))
        options, answer = with_options(rng, d.correct, same_len or pool, d.prefer)
        return Generated(d.text, options, answer, d.key, spec=d)

    return Family(name=name, kind="T", generate=generate, description=description, answer_space=space)


_NUMS = tuple(str(i) for i in range(0, 199))
_REVERSALS = frozenset("".join(p) for w in WORDS3 for p in itertools.permutations(w))

FAMILIES = (
    _family("arith", _arith, _NUMS, "two-digit addition and subtraction", frozenset(_NUMS)),
    _family("compare", _compare, _NUMS[10:100], "pick the largest or smallest of four numbers",
            frozenset(_NUMS[10:100])),
    _family("sequence", _sequence, _NUMS[:100], "next term of an arithmetic sequence", frozenset(_NUMS[:100])),
    _family("letters", _letters, tuple(LETTERS),
            "string operations: next/previous letter, first/last letter, reverse a word",
            frozenset(LETTERS) | _REVERSALS),
)  # fmt: skip
