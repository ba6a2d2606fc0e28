"""IIT-synth: determinism, split disjointness, option validity, and that visual answers match the rendered scene."""

from __future__ import annotations

import collections
import hashlib
import io
import os
import re
import string
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from iitbench.data.images import decode_image
from iitbench.data.types import ImageBlob, TextPart
from iitbench.errors import UserError
from iitbench.sources.synth import (
    FAMILIES,
    LICENCE,
    TEXT_FAMILIES,
    VERSION,
    VISUAL_FAMILIES,
    answer_vocabulary,
    generate_one,
    load_synth,
    split_of,
    world_sentences,
)
from iitbench.sources.synth.render import IMAGE_SIZE, PALETTE
from iitbench.sources.synth.visual_tasks import POSITIONS

N_TRAIN = 300


@pytest.fixture(scope="module")
def train() -> list:
    return load_synth("train", n_per_family=N_TRAIN, seed=0)


def _by_family(questions) -> dict[str, list]:
    out: dict[str, list] = collections.defaultdict(list)
    for q in questions:
        out[q.subject].append(q)
    return out


def _pixels(q) -> np.ndarray:
    return np.asarray(decode_image(q.parts[0].data, q.id))


def _draws(family: str, n: int, split: str = "train", seed: int = 0):
    return [generate_one(family, split, seed, i) for i in range(n)]


# ---- registry and API ---------------------------------------------------------------------------------------


def test_at_least_six_families_of_each_kind_with_matching_kind_field():
    assert len(TEXT_FAMILIES) >= 6 and len(VISUAL_FAMILIES) >= 6
    assert {f.kind for f in TEXT_FAMILIES.values()} == {"T"}
    assert {f.kind for f in VISUAL_FAMILIES.values()} == {"V"}
    assert not set(TEXT_FAMILIES) & set(VISUAL_FAMILIES)
    assert LICENCE.startswith("CC0-1.0") and VERSION == "1"


def test_ids_sources_subjects_and_part_order(train):
    for fam, qs in _by_family(train).items():
        assert [q.id for q in qs] == [f"synth.{fam}/train/{i}" for i in range(N_TRAIN)]
        for q in qs:
            assert q.source == f"synth.{fam}" and q.split == "train" and q.subject == fam
            assert isinstance(q.parts[-1], TextPart)
            if fam in VISUAL_FAMILIES:
                assert len(q.parts) == 2 and isinstance(q.parts[0], ImageBlob) and q.parts[0].format == "png"
                assert "the image" in q.text
            else:
                assert q.kind == "T" and len(q.parts) == 1


def test_kinds_and_families_filter_the_selection():
    assert {q.kind for q in load_synth("dev", 2, kinds=("T",))} == {"T"}
    assert {q.subject for q in load_synth("dev", 2, kinds=("V",))} == set(VISUAL_FAMILIES)
    assert {q.subject for q in load_synth("dev", 2, families=["arith", "count"])} == {"arith", "count"}
    assert load_synth("dev", 2, kinds=("T",), families=["count"]) == []


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"families": ["arith", "nope"]}, "'nope'"),
        ({"split": "validation"}, "'validation'"),
        ({"kinds": ("X",)}, "'X'"),
        ({"n_per_family": -1}, "-1"),
    ],
)
def test_bad_arguments_raise_one_line_user_error_naming_them(kwargs, needle):
    with pytest.raises(UserError) as e:
        load_synth(**kwargs)
    msg = str(e.value)
    assert needle in msg and "\n" not in msg
    if "families" in kwargs:
        assert all(name in msg for name in FAMILIES)  # lists the valid ones
    if "split" in kwargs:
        assert "train" in msg and "test" in msg


# ---- determinism --------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_questions_and_png_bytes(train):
    again = load_synth("train", n_per_family=N_TRAIN, seed=0)
    assert again == train  # dataclass equality covers the PNG bytes


def test_question_n_does_not_depend_on_n_per_family(train):
    short = load_synth("train", n_per_family=5, seed=0)
    assert short == [q for q in train if int(q.id.rsplit("/", 1)[1]) < 5]


def test_different_seed_gives_different_questions_in_every_family():
    a, b = _by_family(load_synth("test", 20, seed=0)), _by_family(load_synth("test", 20, seed=1))
    for fam in FAMILIES:
        assert [(q.parts, q.choices) for q in a[fam]] != [(q.parts, q.choices) for q in b[fam]], fam


def test_png_bytes_are_the_same_in_a_fresh_process_with_another_hash_seed():
    code = (
        "import hashlib; from iitbench.sources.synth import load_synth;"
        "print(hashlib.sha256(b''.join(q.parts[0].data for q in load_synth('test', 3, kinds=('V',)))).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    here = hashlib.sha256(b"".join(q.parts[0].data for q in load_synth("test", 3, kinds=("V",)))).hexdigest()
    assert out.stdout.strip() == here


# ---- splits -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_train_dev_test_are_disjoint_by_key_and_content(family):
    draws = {split: _draws(family, n, split) for split, n in (("train", 300), ("dev", 60), ("test", 150))}
    for split, gs in draws.items():
        assert all(split_of(family, g.key) == split for g in gs)
    keys = {s: {g.key for g in gs} for s, gs in draws.items()}
    assert len(keys["test"]) >= 20, "test split must not collapse to a handful of items"
    assert not keys["train"] & keys["test"] and not keys["train"] & keys["dev"] and not keys["dev"] & keys["test"]
    if family in TEXT_FAMILIES:
        pairs = {s: {(g.question, g.choices[g.answer]) for g in gs} for s, gs in draws.items()}
        assert not pairs["train"] & pairs["test"] and not pairs["train"] & pairs["dev"]
    else:
        scenes = {s: {g.spec.scene for g in gs} for s, gs in draws.items()}
        assert not scenes["train"] & scenes["test"] and not scenes["train"] & scenes["dev"]


# ---- options ------------------------------------------------------------------------------------------------


def test_four_unique_options_gold_in_range_and_in_the_answer_space(train):
    vocab = answer_vocabulary()
    for q in train:
        assert len(q.choices) == 4 and len(set(q.choices)) == 4, q
        assert 0 <= q.answer < 4
        assert set(q.choices) <= FAMILIES[q.subject].answer_space <= vocab, q


def test_gold_index_is_roughly_uniform_in_every_family(train):
    for fam, qs in _by_family(train).items():
        counts = collections.Counter(q.answer for q in qs)
        assert all(45 <= counts[i] <= 110 for i in range(4)), (fam, counts)  # expected 75 each


def test_numeric_options_share_the_gold_answers_length(train):
    for q in train:
        if q.subject in ("arith", "compare", "sequence"):
            assert len({len(c) for c in q.choices}) == 1, q


# ---- text answers are correct -------------------------------------------------------------------------------


def test_text_answers_are_correct(train):
    fams = _by_family(train)
    for q in fams["arith"]:
        a, op, b = re.fullmatch(r"What is (\d+) (plus|minus) (\d+)\?", q.text).groups()
        assert int(q.choices[q.answer]) == (int(a) + int(b) if op == "plus" else int(a) - int(b))
    for q in fams["compare"]:
        nums = [int(x) for x in re.findall(r"\d+", q.text)]
        assert int(q.choices[q.answer]) == (max(nums) if "largest" in q.text else min(nums))
    for q in fams["sequence"]:
        t = [int(x) for x in re.findall(r"\d+", q.text)]
        assert len({b - a for a, b in zip(t, t[1:])}) == 1 and int(q.choices[q.answer]) == 2 * t[-1] - t[-2]
    letters = string.ascii_lowercase
    for q in fams["letters"]:
        gold, w = q.choices[q.answer], q.text.rstrip("?").split()[-1]
        if "after" in q.text or "before" in q.text:
            assert letters.index(gold) - letters.index(w) == (1 if "after" in q.text else -1)
        elif "backwards" in q.text:
            assert gold == q.text.split()[2][::-1]
        else:
            assert gold == (w[0] if "first" in q.text else w[-1])
    for fam in ("logic", "reading"):
        for q in fams[fam]:
            assert re.search(rf"\b{q.choices[q.answer]}\b", q.text), q  # everything needed is in the text


def test_world_answers_are_stated_in_the_world_sentences(train):
    facts = world_sentences()
    assert set(answer_vocabulary()) >= {w.rstrip(".") for s in facts for w in s.split()[-1:]}
    for q in _by_family(train)["world"]:
        creature = next(w.strip("?.") for w in q.text.split() if any(f"The {w.strip('?.')} " in s for s in facts))
        gold = q.choices[q.answer]
        assert any(s.startswith(f"The {creature} ") and s.endswith(f" {gold}.") for s in facts), q


# ---- visual answers match the rendered scene ----------------------------------------------------------------


def test_images_decode_as_rgb_at_the_documented_size_without_metadata(train):
    for q in train:
        if q.kind == "V":
            img = decode_image(q.parts[0].data, q.id)
            assert img.size == (IMAGE_SIZE, IMAGE_SIZE) and img.mode == "RGB"
            assert b"tEXt" not in q.parts[0].data and b"tIME" not in q.parts[0].data
            assert Image.open(io.BytesIO(q.parts[0].data)).format == "PNG"


def test_count_answer_matches_the_scene_and_the_blobs_in_the_pixels():
    for g in _draws("count", 60):
        shapes = g.spec.scene.shapes
        target = re.fullmatch(r"How many (\w+) are in the image\?", g.question).group(1)
        n = sum(1 for s in shapes if target.startswith(s.shape))
        assert g.choices[g.answer] == str(n)
        arr = np.asarray(decode_image(g.image, "count"))
        _, blobs = ndimage.label((arr != 255).any(axis=2))
        assert blobs == len(shapes)  # objects never touch, so the pixels show exactly the spec's objects


def test_colour_answer_is_the_colour_of_the_drawn_pixels(train):
    for q in _by_family(train)["colour"][:60]:
        arr = _pixels(q)
        ink = arr[(arr != 255).any(axis=2)]
        assert (ink == PALETTE[q.choices[q.answer]]).all(axis=1).mean() > 0.99


def test_position_answer_matches_the_shape_centroid(train):
    for q in _by_family(train)["position"][:60]:
        ys, xs = np.nonzero((_pixels(q) != 255).any(axis=2))
        cx, cy = xs.mean(), ys.mean()
        nearest = min(POSITIONS, key=lambda p: (POSITIONS[p][0] - cx) ** 2 + (POSITIONS[p][1] - cy) ** 2)
        assert nearest == q.choices[q.answer], q.id


def test_relation_answer_matches_the_object_centres():
    for g in _draws("relation", 60):
        a, b = g.spec.scene.shapes
        assert g.question == f"In the image, where is the {a.colour} {a.shape} compared with the {b.colour} {b.shape}?"
        dx, dy = a.cx - b.cx, a.cy - b.cy
        expected = ("left" if dx < 0 else "right") if abs(dx) > abs(dy) else ("above" if dy < 0 else "below")
        assert g.choices[g.answer] == expected
        arr = np.asarray(decode_image(g.image, "relation"))
        if a.colour != b.colour:
            ya, xa = np.nonzero((arr == PALETTE[a.colour]).all(axis=2))
            yb, xb = np.nonzero((arr == PALETTE[b.colour]).all(axis=2))
            pdx, pdy = xa.mean() - xb.mean(), ya.mean() - yb.mean()
            got = ("left" if pdx < 0 else "right") if abs(pdx) > abs(pdy) else ("above" if pdy < 0 else "below")
            assert got == expected


def test_biggest_answer_has_the_most_pixels():
    for g in _draws("biggest", 40):
        arr = np.asarray(decode_image(g.image, "biggest"))
        area = {c: int((arr == PALETTE[c]).all(axis=2).sum()) for c in {s.colour for s in g.spec.scene.shapes}}
        assert max(area, key=area.get) == g.choices[g.answer]


def test_read_answer_is_the_rendered_text_and_fits_inside_the_image():
    for g in _draws("read", 60):
        (t,) = g.spec.scene.texts
        assert t.text == g.choices[g.answer]
        ys, xs = np.nonzero((np.asarray(decode_image(g.image, "read")) != 255).any(axis=2))
        assert xs.min() > 0 and ys.min() > 0 and xs.max() < IMAGE_SIZE - 1 and ys.max() < IMAGE_SIZE - 1


def test_shape_answer_names_the_drawn_shape():
    for g in _draws("shape", 40):
        (s,) = g.spec.scene.shapes
        assert g.choices[g.answer] == s.shape


# ---- speed --------------------------------------------------------------------------------------------------


def test_three_hundred_train_questions_of_every_family_take_well_under_ten_seconds():
    start = time.perf_counter()
    qs = load_synth("train", n_per_family=300, seed=7)
    assert len(qs) == 300 * len(FAMILIES)
    assert time.perf_counter() - start < 10.0
