"""MMLU (`cais/mmlu`, MIT): 57 subject configs; `answer` is a ClassLabel read back as an int 0-3.

There is no id column, so ids are `mmlu/<subject>/<split>/<n>` with n the row's position within its subject
(the same for per-subject files and the flat `all` config, whose rows are grouped by subject).
"""

from __future__ import annotations

from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.sources.hf.base import RowContext, SkipRow, SourceSpec, cloze_meta, make_question

SUBJECTS = tuple("""
abstract_algebra anatomy astronomy business_ethics clinical_knowledge college_biology college_chemistry
college_computer_science college_mathematics college_medicine college_physics computer_security conceptual_physics
econometrics electrical_engineering elementary_mathematics formal_logic global_facts high_school_biology
high_school_chemistry high_school_computer_science high_school_european_history high_school_geography
high_school_government_and_politics high_school_macroeconomics high_school_mathematics high_school_microeconomics
high_school_physics high_school_psychology high_school_statistics high_school_us_history high_school_world_history
human_aging human_sexuality international_law jurisprudence logical_fallacies machine_learning management marketing
medical_genetics miscellaneous moral_disputes moral_scenarios nutrition philosophy prehistory professional_accounting
professional_law professional_medicine professional_psychology public_relations security_studies sociology
us_foreign_policy virology world_religions
""".split())


# lm-eval's grouping of the 57 subjects (its `mmlu_stem`, `mmlu_humanities`, `mmlu_social_sciences`, `mmlu_other`
# tags), after the MMLU paper's four categories.
_CATEGORY_SUBJECTS = {
    "stem": """abstract_algebra anatomy astronomy college_biology college_chemistry college_computer_science
        college_mathematics college_physics computer_security conceptual_physics electrical_engineering
        elementary_mathematics high_school_biology high_school_chemistry high_school_computer_science
        high_school_mathematics high_school_physics high_school_statistics machine_learning""",
    "humanities": """formal_logic high_school_european_history high_school_us_history high_school_world_history
        international_law jurisprudence logical_fallacies moral_disputes moral_scenarios philosophy prehistory
        professional_law world_religions""",
    "social_sciences": """econometrics high_school_geography high_school_government_and_politics
        high_school_macroeconomics high_school_microeconomics high_school_psychology human_sexuality
        professional_psychology public_relations security_studies sociology us_foreign_policy""",
    "other": """business_ethics clinical_knowledge college_medicine global_facts human_aging management marketing
        medical_genetics miscellaneous nutrition professional_accounting professional_medicine virology""",
}
CATEGORIES = {s: cat for cat, names in _CATEGORY_SUBJECTS.items() for s in names.split()}


def convert(row: dict[str, Any], ctx: RowContext) -> Question:
    subject = str(row.get("subject") or ctx.config or "")
    n = ctx.rank(subject)  # before any skip, so ids do not shift when a row is dropped
    answer = row.get("answer")
    if not isinstance(answer, int) or isinstance(answer, bool):  # ClassLabel gives ints; -1 would be "no label"
        raise SkipRow("answer not among the options")
    question = str(row.get("question") or "").strip()
    # lm-eval's `mmlu_<subject>_continuation` prompt: the cloze form a small base model can answer.
    choices = list(row.get("choices") or [])
    meta = cloze_meta(f"Question: {question}\nAnswer:", choices,
                      f"The following are questions (with answers) about {subject.replace('_', ' ')}.\n\n")
    return make_question(ctx, f"mmlu/{subject}/{ctx.split}/{n}", [TextPart(question)], choices, answer,
                         subject=subject, meta={**meta, "category": CATEGORIES.get(subject, "other")})


SPEC = SourceSpec(
    name="mmlu", hub_id="cais/mmlu", configs=SUBJECTS, default_configs=SUBJECTS, default_split="test",
    splits=("test", "validation", "dev"), kind="T", licence="MIT", convert=convert)
