"""Fixture files of the paper's multimodal benchmarks in their published layouts, with known answers.

Hub layouts (parquet, `datasets.Features` as the dataset cards publish them) and VLMEvalKit's TSVs (base64 images; an
`image` of <= 64 characters names the row whose image it shares). The rows are chosen for the metrics' edge cases:

MME       existence: two images with two questions each; code_reasoning: one image with two questions and one image
          with a single question (its other question missing); one row whose answer is not Yes/No (skipped).
Hallusion VD set 0: figures 1 and 2, questions 0 and 1 on each; VS set 1: figure 0 (no image) and figure 1, question 0
          on each; one row without ids in the TSV (skipped).
ScienceQA three image questions, one without an image (skipped: not an IMG question).
MMBench-CN three questions and one circular copy (skipped).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd
from datasets import Features, Image, List, Value

from tests.sources.hf.hf_fixtures import MMBENCH_FEATURES, PART, _save, image_bytes, img

S = Value("string")

MME_FEATURES = Features({"question_id": S, "image": Image(), "question": S, "answer": S, "category": S})
MME_ROWS = [  # (question_id = the image's file, image k, question, answer, category)
    ("existence/000000006040.jpg", 1, "Is there a train in this image? Please answer yes or no.", "Yes", "existence"),
    ("existence/000000006040.jpg", 1, "Is there a bed in this image? Please answer yes or no.", "No", "existence"),
    ("existence/000000018150.jpg", 2, "Is there a bus in this image? Please answer yes or no.", "No", "existence"),
    ("existence/000000018150.jpg", 2, "Is there a car in this image? Please answer yes or no.", "Yes", "existence"),
    ("code_reasoning/0020.png", 3, "Does this code print 5? Please answer yes or no.", "Yes", "code_reasoning"),
    ("code_reasoning/0020.png", 3, "Does this code print 6? Please answer yes or no.", "No", "code_reasoning"),
    ("code_reasoning/0021.png", 4, "Does this code halt? Please answer yes or no.", "Yes", "code_reasoning"),
    ("existence/000000099999.jpg", 5, "Is there a cat? Please answer yes or no.", "Maybe", "existence"),
]
MME_IDS = ["mme/existence/000000006040.jpg#0", "mme/existence/000000006040.jpg#1",
           "mme/existence/000000018150.jpg#0", "mme/existence/000000018150.jpg#1",
           "mme/code_reasoning/0020.png#0", "mme/code_reasoning/0020.png#1", "mme/code_reasoning/0021.png#0"]


def write_mme(root: Path) -> Path:
    rows = [{"question_id": qid, "image": img(k), "question": q, "answer": a, "category": c}
            for qid, k, q, a, c in MME_ROWS]
    _save(rows[:4], MME_FEATURES, root / "data" / "test-00000-of-00002.parquet")  # the Hub shards the split
    _save(rows[4:], MME_FEATURES, root / "data" / "test-00001-of-00002.parquet")
    return root


def _b64(k: int) -> str:
    return base64.b64encode(image_bytes(k)).decode("ascii")


def _write_tsv(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    return path


def write_mme_tsv(path: Path) -> Path:
    """VLMEvalKit's MME.tsv: the second question of an image names the first's index instead of repeating it."""
    rows, first = [], {}
    for i, (qid, k, q, a, c) in enumerate(MME_ROWS):
        image = str(first[qid]) if qid in first else _b64(k)
        first.setdefault(qid, i)
        rows.append({"index": i, "image": image, "question": q, "answer": a, "category": c, "image_path": qid})
    return _write_tsv(rows, path)


HALLUSION_FEATURES = Features({
    "category": S, "subcategory": S, "visual_input": S, "set_id": S, "figure_id": S, "sample_note": S,
    "question_id": S, "question": S, "gt_answer_details": S, "gt_answer": S, "filename": S, "image": Image()})
HALLUSION_ROWS = [  # (category, subcategory, set, figure, question, gold "1"/"0", image k or None)
    ("VD", "figure", "0", "1", "0", "Is the line longer than the other one?", "1", 1),
    ("VD", "figure", "0", "1", "1", "Are the two lines equal?", "0", 1),
    ("VD", "figure", "0", "2", "0", "Is the line longer than the other one?", "0", 2),
    ("VD", "figure", "0", "2", "1", "Are the two lines equal?", "1", 2),
    ("VS", "chart", "1", "0", "0", "Was the GDP of China higher than Japan's in 2010?", "1", None),
    ("VS", "chart", "1", "1", "0", "According to the chart, was the GDP of China higher than Japan's in 2010?",
     "0", 3),
]
HALLUSION_IDS = ["hallusionbench/VD_figure_0_1_0", "hallusionbench/VD_figure_0_1_1", "hallusionbench/VD_figure_0_2_0",
                 "hallusionbench/VD_figure_0_2_1", "hallusionbench/VS_chart_1_0_0", "hallusionbench/VS_chart_1_1_0"]


def write_hallusion(root: Path) -> Path:
    rows = [{"category": c, "subcategory": sub, "visual_input": "0" if k is None else fig, "set_id": s,
             "figure_id": fig, "sample_note": "note", "question_id": q, "question": text,
             "gt_answer_details": "details", "gt_answer": gold,
             "filename": None if k is None else f"./hallusion_bench/{c}/{sub}/{s}_{fig}.png",
             "image": None if k is None else img(k)}
            for c, sub, s, fig, q, text, gold, k in HALLUSION_ROWS]
    _save(rows, HALLUSION_FEATURES, root / "data" / f"image{PART}")
    return root


def write_hallusion_tsv(path: Path) -> Path:
    """VLMEvalKit's HallusionBench.tsv: ids in `index` (fields 3-5: set, figure, question), answers Yes/No."""
    rows = [{"index": f"{c}_{sub}_x_{s}_{fig}_{q}", "image": "" if k is None else _b64(k), "question": text,
             "answer": "Yes" if gold == "1" else "No", "category": c, "l2-category": sub}
            for c, sub, s, fig, q, text, gold, k in HALLUSION_ROWS]
    rows.append({"index": "broken", "image": _b64(1), "question": "No ids?", "answer": "Yes", "category": "VD",
                 "l2-category": "figure"})
    return _write_tsv(rows, path)


SCIENCEQA_FEATURES = Features({
    "image": Image(), "question": S, "choices": List(S), "answer": Value("int8"), "hint": S, "task": S, "grade": S,
    "subject": S, "topic": S, "category": S, "skill": S, "lecture": S, "solution": S})
SCIENCEQA_ROWS = [  # (image k or None, question, choices, answer index, hint, subject)
    (1, "Which of these states is farthest north?", ["West Virginia", "Louisiana", "Arizona", "Oklahoma"], 0, "",
     "social science"),
    (2, "Which animal's feet are also adapted for grabbing prey?", ["sand cat", "pygmy hippopotamus"], 1,
     "Snowy owls are predators.", "natural science"),
    (None, "Which word would you find on a dictionary page?", ["pig", "pot"], 0, "", "language science"),
    (3, "What is the capital of Utah?", ["Salt Lake City", "Provo", "Ogden"], 2, "", "social science"),
]


def write_scienceqa(root: Path) -> Path:
    rows = [{"image": None if k is None else img(k), "question": q, "choices": ch, "answer": a, "hint": h,
             "task": "closed choice", "grade": "grade4", "subject": subj, "topic": "geography",
             "category": "Geography", "skill": "Read a map", "lecture": "", "solution": ""}
            for k, q, ch, a, h, subj in SCIENCEQA_ROWS]
    _save(rows, SCIENCEQA_FEATURES, root / "ScienceQA-IMG" / f"test{PART}")
    return root


def write_scienceqa_tsv(path: Path) -> Path:
    """VLMEvalKit's ScienceQA_TEST.tsv: options in columns A-E, the answer a letter."""
    rows = []
    for i, (k, q, ch, a, h, subj) in enumerate(SCIENCEQA_ROWS):
        rows.append({"index": i, "image": "" if k is None else _b64(k), "question": q, "hint": h or float("nan"),
                     **{letter: ch[j] if j < len(ch) else float("nan") for j, letter in enumerate("ABCDE")},
                     "answer": "ABCDE"[a], "category": "Geography", "subject": subj})
    return _write_tsv(rows, path)


def _mmbench_cn_rows() -> list[dict]:
    base = {"source": "x", "L2-category": "l2", "comment": "nan", "split": "dev"}
    return [
        {**base, "index": 0, "question": "这是什么颜色？", "hint": "nan", "answer": "A", "A": "红", "B": "蓝",
         "C": "绿", "D": "粉", "category": "color", "image": img(1)},
        {**base, "index": 1, "question": "有几个？", "hint": "数一数。", "answer": "C", "A": "1", "B": "2", "C": "3",
         "D": None, "category": "count", "image": img(2)},
        {**base, "index": 2, "question": "对吗？", "hint": None, "answer": "B", "A": "对", "B": "不对", "C": "nan",
         "D": None, "category": "yn", "image": img(1)},  # the same picture as row 0
        {**base, "index": 1_000_000, "question": "这是什么颜色？", "hint": "nan", "answer": "D", "A": "蓝", "B": "绿",
         "C": "粉", "D": "红", "category": "color", "image": img(1)},
    ]


def write_mmbench_cn(root: Path) -> Path:
    _save(_mmbench_cn_rows(), MMBENCH_FEATURES, root / "cn" / f"dev{PART}")
    return root


def write_mmbench_cn_tsv(path: Path) -> Path:
    rows = []
    for r in _mmbench_cn_rows():
        rows.append({**r, "image": base64.b64encode(r["image"]["bytes"]).decode("ascii")})
    rows[2]["image"] = "0"  # shares row 0's image
    return _write_tsv([{k: ("nan" if v is None else v) for k, v in r.items()} for r in rows], path)


def write_all(root: Path) -> dict[str, Path]:
    """Every fixture under `root`: {name: data dir} for the Hub layouts and {name_tsv: file} for the TSVs."""
    return {"mme": write_mme(root / "mme"), "mme_tsv": write_mme_tsv(root / "mme-tsv" / "MME.tsv"),
            "hallusionbench": write_hallusion(root / "hallusionbench"),
            "hallusionbench_tsv": write_hallusion_tsv(root / "hallusion-tsv" / "HallusionBench.tsv"),
            "scienceqa-img": write_scienceqa(root / "scienceqa"),
            "scienceqa-img_tsv": write_scienceqa_tsv(root / "scienceqa-tsv" / "ScienceQA_TEST.tsv"),
            "mmbench-cn": write_mmbench_cn(root / "mmbench-cn"),
            "mmbench-cn_tsv": write_mmbench_cn_tsv(root / "mmbench-cn-tsv" / "MMBench_DEV_CN.tsv")}
