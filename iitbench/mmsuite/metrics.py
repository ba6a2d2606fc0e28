"""The benchmarks' own metrics, as the field computes them, from a run's sample records and the items' metadata.

MME (Fu et al., 2023; lmms-eval `tasks/mme/utils.py`, VLMEvalKit `dataset/utils/yorn.py::MME_rating`): per category,
  acc  = % of its questions answered right;
  acc+ = % of its images whose two questions are both right;
  score = acc + acc+ (at most 200). Perception = sum over its 10 categories (<= 2000), cognition = sum over its 4
  (<= 800). An image with only one question counts in acc and is left out of acc+ (lmms-eval and VLMEvalKit both
  fail on it; we report how many such images there were).
HallusionBench (Guan et al., CVPR 2024; lmms-eval `tasks/hallusion_bench/utils.py`):
  aAcc = % of questions right; fAcc = % of figures whose questions are all right, figures keyed by
  category_subcategory_set_id_figure_id, VS rows with figure_id 0 (no figure) left out; qAcc = % of questions whose
  every figure version is right, keyed by category_subcategory_set_id_question_id. VLMEvalKit keys by l2-category and
  does not leave VS figure 0 out of fAcc; we follow lmms-eval.
ScienceQA-IMG, MMBench: accuracy (%); MMBench's circular evaluation (VLMEvalKit): an item counts only when every
  rotation of its options is answered right.
Records a model could not take ("n/a") count as wrong: the benchmark's denominators are fixed.
Generation mode (records with a `response`) reads the reply with the turn's `answer_rule`: `parse_yes_no` (MME:
lmms-eval's rule; a reply it cannot read is wrong, as lmms-eval's "other") or `parse_yes_anywhere` (HallusionBench:
lmms-eval's rule-based reading, no judge model); a bare option letter ("A", "B.") is read as that option. The
generic metrics fall back to the best-scored option for an unreadable reply; the benchmark's metrics do not.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

PERCEPTION = ("existence", "count", "position", "color", "posters", "celebrity", "scene", "landmark", "artwork", "OCR")
COGNITION = ("commonsense_reasoning", "numerical_calculation", "text_translation", "code_reasoning")


def parse_yes_no(text: str) -> int | None:
    """lmms-eval's MME reading: 0 for yes, 1 for no, None for anything else."""
    pred = text.lower().strip().replace(".", "")
    if pred in ("yes", "no"):
        return 0 if pred == "yes" else 1
    if len(pred) == 1:
        return 0 if pred == "y" else 1 if pred == "n" else None
    head = pred[:4]
    return 0 if "yes" in head else 1 if "no" in head else None


def parse_yes_anywhere(text: str) -> int:
    """lmms-eval's rule-based HallusionBench reading: yes when "yes" appears anywhere, else no."""
    return 0 if "yes" in text.lower() else 1


_BARE_LETTER = re.compile(r"^\(?([A-Z])[).:]?$")  # "A", "(B)", "B." -- a reply to a letter-format prompt


def read_reply(text: str, rule: str, n_choices: int = 2) -> int | None:
    """The option a generated reply gives under a benchmark's answer rule ("yes-no" or "yes-anywhere")."""
    letter = _BARE_LETTER.match(text.strip())
    if letter and ord(letter.group(1)) - ord("A") < n_choices:
        return ord(letter.group(1)) - ord("A")
    if rule == "yes-no":
        return parse_yes_no(text)
    if rule == "yes-anywhere":
        return parse_yes_anywhere(text)
    raise ValueError(f"unknown answer rule {rule!r}")


def _correct(record: Mapping[str, Any], meta: Mapping[str, Any]) -> bool:
    """Right under the benchmark's rules: a generated reply is re-read by the turn's answer rule (no fallback)."""
    if record.get("status") != "ok":
        return False
    rule = meta.get("answer_rule")
    if rule and record.get("response") is not None:
        return read_reply(str(record["response"]), rule, len(record.get("loglik") or ()) or 2) == record.get("gold")
    return bool(record.get("correct"))


def _unreadable(records: Iterable[Mapping[str, Any]], meta: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(1 for r in records if r.get("status") == "ok" and r.get("response") is not None
               and meta[r["id"]].get("answer_rule") == "yes-no" and read_reply(str(r["response"]), "yes-no") is None)


def _pct(values: Iterable[bool]) -> float | None:
    values = list(values)
    return round(100.0 * sum(values) / len(values), 4) if values else None


def mme(records: Iterable[Mapping[str, Any]], meta: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    questions: dict[str, list[bool]] = defaultdict(list)
    images: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        m = meta[r["id"]]
        questions[m["category"]].append(_correct(r, m))
        images[m["category"]][m["image_id"]].append(_correct(r, m))
    per_category, incomplete = {}, 0
    for category in sorted(questions):
        pairs = [all(v) for v in images[category].values() if len(v) >= 2]
        incomplete += sum(len(v) < 2 for v in images[category].values())
        acc, acc_plus = _pct(questions[category]), _pct(pairs) or 0.0
        per_category[category] = {"acc": acc, "acc_plus": acc_plus, "score": round(acc + acc_plus, 4),
                                  "n_questions": len(questions[category]), "n_images": len(images[category])}
    totals = {group: round(float(sum(per_category[c]["score"] for c in cats if c in per_category)), 4)
              for group, cats in (("perception", PERCEPTION), ("cognition", COGNITION))}
    return {**totals, "per_category": per_category, "incomplete_images": incomplete,
            "missing_categories": [c for c in PERCEPTION + COGNITION if c not in per_category]}


def hallusionbench(records: Iterable[Mapping[str, Any]], meta: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    everything: list[bool] = []
    figures: dict[str, list[bool]] = defaultdict(list)
    questions: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        m = meta[r["id"]]
        ok = _correct(r, m)
        everything.append(ok)
        base = f"{m['category']}_{m['subcategory']}_{m['set_id']}"
        if not (m["category"] == "VS" and str(m["figure_id"]) == "0"):
            figures[f"{base}_{m['figure_id']}"].append(ok)
        questions[f"{base}_{m['question_id']}"].append(ok)
    return {"aAcc": _pct(everything), "fAcc": _pct(all(v) for v in figures.values()),
            "qAcc": _pct(all(v) for v in questions.values()), "n": len(everything), "n_figures": len(figures),
            "n_question_groups": len(questions)}


def accuracy(records: Iterable[Mapping[str, Any]], meta: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    records = list(records)
    out: dict[str, Any] = {"accuracy": _pct(_correct(r, meta[r["id"]]) for r in records), "n": len(records)}
    groups: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        if meta[r["id"]].get("circular_of") is not None:
            groups[meta[r["id"]]["circular_of"]].append(_correct(r, meta[r["id"]]))
    if groups:
        out["circular_accuracy"] = _pct(all(v) for v in groups.values())
        out["n_circular_groups"] = len(groups)
    return out


METRICS = {"mme": mme, "hallusionbench": hallusionbench, "scienceqa-img": accuracy, "mmbench-en": accuracy,
           "mmbench-cn": accuracy}
HEADLINE = {"mme": ("perception", "cognition"), "hallusionbench": ("aAcc", "fAcc", "qAcc"),
            "scienceqa-img": ("accuracy",), "mmbench-en": ("accuracy",), "mmbench-cn": ("accuracy",)}


def benchmark_metrics(name: str, records: Iterable[Mapping[str, Any]],
                      meta: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The benchmark's metrics over the scored records (meta: item id -> its scored turn's meta)."""
    scored = [r for r in records if r.get("scored")]
    out = {"name": name, **METRICS[name](scored, meta)}
    if any(r.get("response") is not None for r in scored):
        out["generation"] = {"answer_rule": next((meta[r["id"]].get("answer_rule") for r in scored), None),
                             "unreadable": _unreadable(scored, meta)}
    return out


__all__ = ["COGNITION", "HEADLINE", "METRICS", "PERCEPTION", "accuracy", "benchmark_metrics", "hallusionbench", "mme",
           "parse_yes_anywhere", "parse_yes_no", "read_reply"]
