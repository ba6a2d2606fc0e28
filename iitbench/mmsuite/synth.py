"""Synthetic twins of the paper's multimodal benchmarks, built offline from IIT-synth's rendered visual questions, with
the shapes their metrics need (so the whole `paper-mm` suite runs anywhere and its metrics see real structure):

- mme: per image, two yes/no questions ("... Is the answer X?") with opposite answers, one category per visual
  family (colour -> color, count -> count, position -> position, shape -> existence, read -> OCR for perception;
  relation -> commonsense_reasoning, biggest -> numerical_calculation for cognition);
- hallusionbench: question sets over two figures of one family whose question text does not depend on the image
  (shape, colour, read): the same two yes/no questions asked of each figure, the answers following each figure (VD);
- scienceqa-img, mmbench-en, mmbench-cn: the visual multiple-choice questions themselves (mmbench-cn keeps the English
  text: it is a structural twin, not a translation).
The twins are labelled `synthetic` in every dataset card and results file.
"""

from __future__ import annotations

from iitbench.data.types import ImageBlob, Question, TextPart

MME_CATEGORY = {"colour": "color", "count": "count", "position": "position", "shape": "existence", "read": "OCR",
                "relation": "commonsense_reasoning", "biggest": "numerical_calculation"}
STABLE_QUESTION = ("shape", "colour", "read")  # families whose question text is the same for every image
SEEDS = {"mme": 11, "hallusionbench": 12, "scienceqa-img": 13, "mmbench-en": 14, "mmbench-cn": 15}


def _yes_no(q: Question, qid: str, text: str, yes: bool, meta: dict) -> Question:
    image = next(p for p in q.parts if isinstance(p, ImageBlob))
    return Question(id=qid, source=q.source, parts=(image, TextPart(text)), choices=("Yes", "No"),
                    answer=0 if yes else 1, subject=q.subject, split=q.split, meta=tuple(sorted(meta.items())))


def _questions(name: str, per_family: int, families=None) -> list[Question]:
    from iitbench.sources.synth import load_synth

    return load_synth("test", n_per_family=per_family, seed=SEEDS[name], kinds=("V",), families=families)


def mme_twin(per_family: int) -> list[Question]:
    out = []
    for q in _questions("mme", per_family):
        wrong = (q.answer + 1) % len(q.choices)
        meta = {"benchmark": "mme", "category": MME_CATEGORY[q.subject], "image_id": q.id}
        out.append(_yes_no(q, f"mme-synth/{q.id}#0", f"{q.text} Is the answer {q.choices[q.answer]}?", True, meta))
        out.append(_yes_no(q, f"mme-synth/{q.id}#1", f"{q.text} Is the answer {q.choices[wrong]}?", False, meta))
    return out


def hallusion_twin(per_family: int) -> list[Question]:
    qs = _questions("hallusionbench", 2 * per_family, list(STABLE_QUESTION))
    out = []
    by_family: dict[str, list[Question]] = {}
    for q in qs:
        by_family.setdefault(q.subject, []).append(q)
    for family, items in by_family.items():
        for s in range(0, len(items) - 1, 2):
            first, second = items[s], items[s + 1]
            asked = (first.choices[first.answer], first.choices[(first.answer + 1) % len(first.choices)])
            for figure, q in ((1, first), (2, second)):
                truth = q.choices[q.answer]
                for qid, option in enumerate(asked):
                    meta = {"benchmark": "hallusionbench", "category": "VD", "subcategory": family,
                            "set_id": str(s // 2), "figure_id": str(figure), "question_id": str(qid),
                            "visual_input": str(figure)}
                    out.append(_yes_no(q, f"hallusionbench-synth/VD_{family}_{s // 2}_{figure}_{qid}",
                                       f"{q.text} Is the answer {option}?", truth == option, meta))
    return out


def mc_twin(name: str, per_family: int) -> list[Question]:
    return [Question(id=f"{name}-synth/{q.id}", source=q.source, parts=q.parts, choices=q.choices, answer=q.answer,
                     subject=q.subject, split=q.split, meta=(("benchmark", name),))
            for q in _questions(name, per_family)]


def twin(name: str, per_family: int = 20) -> list[Question]:
    """The synthetic twin of benchmark `name`, `per_family` images (MME, MC) or sets (HallusionBench) per family."""
    if name == "mme":
        return mme_twin(per_family)
    if name == "hallusionbench":
        return hallusion_twin(per_family)
    return mc_twin(name, per_family)


__all__ = ["MME_CATEGORY", "twin"]
