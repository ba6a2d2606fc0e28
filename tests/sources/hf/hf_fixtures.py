"""Tiny fixture files for the 8 real sources, with `datasets.Features` copied from the published schemas.

Each `write_<source>(root)` saves parquet files in the Hub layout under `root` and returns the folder to pass as
`data_dir`. Images are 32 px solid colours generated here; `colour(k)` lets a test check which image is where.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from datasets import ClassLabel, Dataset, Features, Image, List, Value
from PIL import Image as PILImage

S = Value("string")


def colour(k: int) -> tuple[int, int, int]:
    """The RGB colour of fixture image k (distinct for k < 8)."""
    return (30 * k % 256, 255 - 30 * k % 256, (70 * k) % 256)


def image_bytes(k: int, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (32, 32), colour(k)).save(buf, format=fmt)
    return buf.getvalue()


def img(k: int, fmt: str = "PNG") -> dict:
    return {"bytes": image_bytes(k, fmt), "path": None}


def _save(rows: list[dict], features: Features, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = {name: [r.get(name) for r in rows] for name in features}
    Dataset.from_dict(cols, features=features).to_parquet(str(path))


PART = "-00000-of-00001.parquet"  # the Hub's file naming


def write_mmlu(root: Path) -> Path:
    feats = Features({"question": S, "subject": S, "choices": List(S),
                      "answer": ClassLabel(names=["A", "B", "C", "D"])})
    algebra = [
        {"question": "Find the order of Z_4.", "subject": "abstract_algebra", "choices": ["1", "2", "3", "4"], "answer": 3},
        {"question": "Is S_3 abelian?", "subject": "abstract_algebra", "choices": ["yes", "", "maybe", "no"], "answer": 3},
        {"question": "Order of S_3?", "subject": "abstract_algebra", "choices": ["2", "3", "6", "9"], "answer": 2},
    ]
    anatomy = [{"question": "Which bone is in the arm?", "subject": "anatomy",
                "choices": ["femur", "humerus", "tibia", "fibula"], "answer": 1}]
    _save(algebra, feats, root / "abstract_algebra" / f"test{PART}")
    _save(anatomy, feats, root / "anatomy" / f"test{PART}")
    _save(algebra + anatomy, feats, root / "all" / f"test{PART}")  # full snapshots also hold the `all` config
    return root


def write_cmmlu(root: Path) -> Path:
    feats = Features({"Question": S, "A": S, "B": S, "C": S, "D": S, "Answer": S})
    agronomy = [
        {"Question": "水稻属于哪一科？", "A": "禾本科", "B": "豆科", "C": "茄科", "D": "菊科", "Answer": "A"},
        {"Question": "坏答案", "A": "一", "B": "二", "C": "三", "D": "四", "Answer": "E"},
        {"Question": "小麦是？", "A": "蔬菜", "B": "水果", "C": "粮食", "D": "花卉", "Answer": "C"},
    ]
    anatomy = [{"Question": "人体最大的器官？", "A": "心", "B": "肝", "C": "皮肤", "D": "肺", "Answer": "C"}]
    _save(agronomy, feats, root / "agronomy" / "test" / "0000.parquet")  # refs/convert/parquet layout
    _save(anatomy, feats, root / "anatomy" / "test" / "0000.parquet")
    return root


def write_openbookqa(root: Path) -> Path:
    choices = {"text": List(S), "label": List(S)}  # Sequence of a dict = dict of lists
    feats = Features({"id": S, "question_stem": S, "choices": choices, "answerKey": S})
    rows = [
        {"id": "7-980", "question_stem": "The sun is responsible for",
         "choices": {"text": ["puppies", "plants sprouting", "rain", "night"], "label": ["A", "B", "C", "D"]},
         "answerKey": "B"},
        {"id": "7-584", "question_stem": "When standing miles away",
         "choices": {"text": ["a", "b", "c", "d"], "label": ["A", "B", "C", "D"]}, "answerKey": " D"},
        {"id": "8-10", "question_stem": "Broken key",
         "choices": {"text": ["a", "b", "c", "d"], "label": ["A", "B", "C", "D"]}, "answerKey": "E"},
    ]
    _save(rows, feats, root / "main" / f"test{PART}")
    extra = Features({**feats, "fact1": S, "humanScore": Value("float32"), "clarity": Value("float32"),
                      "turkIdAnonymized": S})
    _save([{**r, "id": "add-" + r["id"], "fact1": "f", "humanScore": 1.0, "clarity": 2.0,
            "turkIdAnonymized": "t"} for r in rows], extra, root / "additional" / f"test{PART}")
    return root


def write_hellaswag(root: Path) -> Path:
    feats = Features({"ind": Value("int32"), "activity_label": S, "ctx_a": S, "ctx_b": S, "ctx": S,
                      "endings": List(S), "source_id": S, "split": S, "split_type": S, "label": S})
    val = [
        {"ind": 24, "activity_label": "Roof shingle removal", "ctx_a": "A man is sitting on a roof.", "ctx_b": "he",
         "ctx": "A man is sitting on a roof. he", "endings": ["is using wrap.", "is ripping level tiles off.",
                                                              "is holding a rubik's cube.", "starts pulling up roofing."],
         "source_id": "activitynet~v_-JhWjGDPHMY", "split": "val", "split_type": "indomain", "label": "3"},
        {"ind": 92, "activity_label": "Home and Garden", "ctx_a": "[header] How to clean a grill [title] Heat it.",
         "ctx_b": "then [step] scrub", "ctx": "", "endings": ["[substeps] Use a brush.", "Eat it.", "Sleep.", "Run."],
         "source_id": "wikihow~1", "split": "val", "split_type": "zeroshot", "label": "0"},
    ]
    test = [{**val[0], "ind": 5, "split": "test", "label": ""}]
    _save(val, feats, root / f"validation{PART}")
    _save(test, feats, root / f"test{PART}")
    return root


def _mmmu_row(qid: str, question: str, options: str, answer: str, images: dict[int, dict],
              qtype: str = "multiple-choice") -> dict:
    row = {"id": qid, "question": question, "options": options, "explanation": "", "img_type": "['Diagrams']",
           "answer": answer, "topic_difficulty": "Easy", "question_type": qtype, "subfield": "x"}
    row.update({f"image_{k}": images.get(k) for k in range(1, 8)})
    return row


def write_mmmu(root: Path) -> Path:
    feats = Features({"id": S, "question": S, "options": S, "explanation": S,
                      **{f"image_{k}": Image() for k in range(1, 8)}, "img_type": S, "answer": S,
                      "topic_difficulty": S, "question_type": S, "subfield": S})
    math = [
        # Repeats and out-of-order refs, like validation_Math_19 (1, 2, 1, 1, 2).
        _mmmu_row("validation_Math_1", "Compare <image 1> with <image 2>. Then <image 1>, <image 1> and <image 2>?",
                  "['$6', '$7', '$8']", "B", {1: img(1), 2: img(2)}),
        # Images only in options: appended after the question; image 2 is shown in the question already.
        _mmmu_row("validation_Math_2", "Which graph matches <image 2>?", "['<image 3>', '<image 1>', 'none']", "A",
                  {1: img(1), 2: img(2), 3: img(3, "JPEG")}),
        _mmmu_row("validation_Math_3", "Compute <image 1>.", "[]", "1.06", {1: img(1)}, qtype="open"),
        _mmmu_row("validation_Math_4", "Pick <image 1>.", "['a', 'b']", "E", {1: img(1)}),
        _mmmu_row("validation_Math_5", "Pick <image 2>.", "['a', 'b']", "A", {1: img(1)}),  # image_2 is None
        _mmmu_row("validation_Math_6", "Seven: " + " ".join(f"<image {k}>" for k in range(7, 0, -1)),
                  "['x', 'y']", "B", {k: img(k) for k in range(1, 8)}),
    ]
    art = [_mmmu_row("validation_Art_1", "<image 1> Who painted this?", "['Monet', 'Manet']", "A", {1: img(4)})]
    _save(math, feats, root / "Math" / f"validation{PART}")
    _save(art, feats, root / "Art" / f"validation{PART}")
    return root


MMBENCH_FEATURES = Features({"index": Value("int64"), "question": S, "hint": S, "answer": S, "A": S, "B": S,
                             "C": S, "D": S, "category": S, "image": Image(), "source": S, "L2-category": S,
                             "comment": S, "split": S})


def _mmbench_rows() -> list[dict]:
    base = {"source": "x", "L2-category": "l2", "comment": "nan", "split": "dev"}
    return [
        {**base, "index": 0, "question": "What colour?", "hint": "nan", "answer": "A", "A": "red", "B": "blue",
         "C": "green", "D": "pink", "category": "color", "image": img(1)},
        {**base, "index": 1, "question": "How many?", "hint": "Count them.", "answer": "C", "A": "1", "B": "2",
         "C": "3", "D": None, "category": "count", "image": img(2)},
        {**base, "index": 2, "question": "Yes?", "hint": None, "answer": "B", "A": "yes", "B": "no", "C": "nan",
         "D": None, "category": "yn", "image": img(3)},
        {**base, "index": 3, "question": "Bad", "hint": "nan", "answer": "D", "A": "a", "B": "b", "C": "c",
         "D": "nan", "category": "yn", "image": img(3)},
        {**base, "index": 1_000_000, "question": "What colour?", "hint": "nan", "answer": "D", "A": "blue",
         "B": "green", "C": "pink", "D": "red", "category": "color", "image": img(1)},
    ]


def write_mmbench(root: Path) -> Path:
    _save(_mmbench_rows(), MMBENCH_FEATURES, root / "en" / f"dev{PART}")
    return root


def write_mmbench_tsv(path: Path) -> Path:
    """The OpenCompass layout: base64 images; row 3 reuses row 0's image by naming its index."""
    import pandas as pd

    rows = []
    for r in _mmbench_rows():
        r = dict(r)
        r["image"] = base64.b64encode(r["image"]["bytes"]).decode("ascii")
        rows.append(r)
    rows[2]["image"] = "0"  # shared image: the index of row 0
    df = pd.DataFrame(rows).fillna("nan")
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, sep="\t", index=False)
    return path


def write_seedbench(root: Path) -> Path:
    feats = Features({"answer": S, "choice_a": S, "choice_b": S, "choice_c": S, "choice_d": S,
                      "data_id": List(S), "data_type": S, "question": S, "question_id": S,
                      "question_type_id": Value("int16"), "image": List(Image())})
    rows = [
        {"answer": "A", "choice_a": "a cat", "choice_b": "a dog", "choice_c": "a cow", "choice_d": "a pig",
         "data_id": ["1.jpg"], "data_type": "image", "question": "What animal?", "question_id": "101669",
         "question_type_id": 1, "image": [img(5)]},
        {"answer": "D", "choice_a": "0", "choice_b": "1", "choice_c": "2", "choice_d": "3", "data_id": ["v.mp4"],
         "data_type": "video", "question": "What happens?", "question_id": "v1", "question_type_id": 10,
         "image": [img(1), img(2), img(3)]},
        {"answer": "C", "choice_a": "0", "choice_b": "1", "choice_c": "2", "choice_d": "3", "data_id": ["2.jpg"],
         "data_type": "image", "question": "How many?", "question_id": "2", "question_type_id": 5,
         "image": [img(6)]},
    ]
    _save(rows, feats, root / f"test{PART}")
    return root


def write_ai2d(root: Path) -> Path:
    feats = Features({"question": S, "options": List(S), "answer": S, "image": Image()})
    rows = [
        {"question": "Which stage is the egg?", "options": ["A", "B", "C", "D"], "answer": "2", "image": img(1)},
        {"question": "Out of range", "options": ["x", "y"], "answer": "5", "image": img(2)},
        {"question": "What eats grass?", "options": ["cow", "lion", "hawk"], "answer": "0",
         "image": img(3, "JPEG")},
    ]
    _save(rows, feats, root / f"test{PART}")
    return root


WRITERS = {"mmlu": write_mmlu, "cmmlu": write_cmmlu, "openbookqa": write_openbookqa, "hellaswag": write_hellaswag,
           "mmmu": write_mmmu, "mmbench": write_mmbench, "seedbench": write_seedbench, "ai2d": write_ai2d}
_BUILT: dict[str, Path] = {}


@pytest.fixture(scope="session")
def hf_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """source name -> its fixture data_dir (plus "mmbench_tsv"); built once per session, shared by modules."""
    if not _BUILT:
        root = tmp_path_factory.mktemp("hf_sources")
        for name, write in sorted(WRITERS.items()):
            _BUILT[name] = write(root / name)
        _BUILT["mmbench_tsv"] = write_mmbench_tsv(root / "mmbench_tsv" / "MMBench_DEV_EN.tsv")
    return _BUILT


def pixel(blob) -> tuple[int, int, int]:
    """The colour of a fixture image blob (to check which image sits where)."""
    with PILImage.open(io.BytesIO(blob.data)) as im:
        return im.convert("RGB").getpixel((16, 16))
