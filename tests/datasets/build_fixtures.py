"""Hand-made question pools for the build tests: two topics, two text sources, visual questions sharing images."""

from __future__ import annotations

import io

from PIL import Image

from iitbench.data.types import ImageBlob, Question, TextPart
from iitbench.datasets.group import question_key
from iitbench.datasets.inputs import SourceSet

COOKING = ["How long should you boil pasta for it to be al dente?", "Which spice gives curry its yellow colour?",
           "What temperature is best for baking bread in an oven?", "Which knife is used for chopping onions?",
           "What is the main ingredient of guacamole?", "How do you caramelise sugar in a saucepan?",
           "Which flour makes the chewiest pizza dough?", "How long should a steak rest after grilling?",
           "What makes a souffle rise while baking?", "Which oil has the highest smoke point for frying?"]
ASTRONOMY = ["Which planet has the largest number of moons?", "What is the closest star to the Sun?",
             "How long does light from the Sun take to reach Earth?", "What causes a total solar eclipse?",
             "Which galaxy is nearest to the Milky Way?", "What is a neutron star made of?",
             "How many planets orbit our Sun?", "What is the name of Saturn's largest moon?",
             "Which telescope observed the first image of a black hole?", "What is a light-year a measure of?"]


def png(colour: tuple[int, int, int], size: int = 8) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buf, format="PNG")
    return buf.getvalue()


def text_q(source: str, i: int, text: str, subject: str = "") -> Question:
    return Question(id=f"q{i:03d}", source=source, parts=(TextPart(text),), choices=("a", "b", "c", "d"),
                    answer=i % 4, subject=subject)


def image_q(source: str, i: int, text: str, image: bytes) -> Question:
    return Question(id=f"v{i:03d}", source=source, parts=(ImageBlob(image, "png"), TextPart(text)),
                    choices=("yes", "no"), answer=i % 2)


def make_pool(n_text: int = 40, n_image: int = 12) -> list[Question]:
    """Text questions from two sources plus visual questions whose images repeat (to exercise deduplication)."""
    texts = COOKING + ASTRONOMY
    qs = [text_q("alpha" if i % 2 else "beta", i, f"{texts[i % len(texts)]} (variant {i})") for i in range(n_text)]
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    qs += [image_q("gamma", i, f"Is the square {('red', 'green', 'blue')[i % 3]}? ({i})", png(colours[i % 3]))
           for i in range(n_image)]
    return qs


def make_set(questions: list[Question]) -> SourceSet:
    loader = {question_key(q): q.source for q in questions}
    names = sorted(set(loader.values()))
    return SourceSet("local", tuple(questions), loader, {n: f"licence-of-{n}" for n in names},
                     {n: "test" for n in names})


