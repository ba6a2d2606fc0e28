"""CMMLU (`haonan-li/cmmlu`, cc-by-nc-4.0): 67 subject configs, read from the Hub's `refs/convert/parquet` export
because the repo is script-based (scripts are unsupported since datasets 4). Columns are capitalised:
`Question`, `A`-`D`, `Answer` (a letter). No id column: ids are `cmmlu/<subject>/<split>/<n>`.
"""

from __future__ import annotations

from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.sources.hf.base import RowContext, SourceSpec, letter_index, make_question

SUBJECTS = tuple("""
agronomy anatomy ancient_chinese arts astronomy business_ethics chinese_civil_service_exam chinese_driving_rule
chinese_food_culture chinese_foreign_policy chinese_history chinese_literature chinese_teacher_qualification
clinical_knowledge college_actuarial_science college_education college_engineering_hydrology college_law
college_mathematics college_medical_statistics college_medicine computer_science computer_security
conceptual_physics construction_project_management economics education electrical_engineering elementary_chinese
elementary_commonsense elementary_information_and_technology elementary_mathematics ethnology food_science genetics
global_facts high_school_biology high_school_chemistry high_school_geography high_school_mathematics
high_school_physics high_school_politics human_sexuality international_law journalism jurisprudence
legal_and_moral_basis logical machine_learning management marketing marxist_theory modern_chinese nutrition
philosophy professional_accounting professional_law professional_medicine professional_psychology public_relations
security_study sociology sports_science traditional_chinese_medicine virology world_history world_religions
""".split())


def convert(row: dict[str, Any], ctx: RowContext) -> Question:
    subject = ctx.config
    n = ctx.rank(subject)
    choices = [row.get(k) for k in "ABCD"]
    answer = letter_index(row.get("Answer"), len(choices))
    return make_question(ctx, f"cmmlu/{subject or 'all'}/{ctx.split}/{n}",
                         [TextPart(str(row.get("Question") or "").strip())], choices, answer, subject=subject)


SPEC = SourceSpec(
    name="cmmlu", hub_id="haonan-li/cmmlu", configs=SUBJECTS, default_configs=SUBJECTS, default_split="test",
    splits=("test", "dev"), kind="T", licence="cc-by-nc-4.0", convert=convert, hub_revision="refs/convert/parquet")
