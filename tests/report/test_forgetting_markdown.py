"""The forgetting report's Markdown (iitbench/report/forgetting.py) shows user-controlled names as text."""

from __future__ import annotations

import re


def test_forgetting_markdown_escapes_names_and_tasks():
    from iitbench.report.forgetting import forgetting_markdown

    comparison = {"n": 1, "acc_a": 1.0, "acc_b": 0.0, "delta": 1.0, "delta_ci95": [1.0, 1.0], "only_a_correct": 1,
                  "only_b_correct": 0, "mcnemar_p": 1.0, "agreement": 0.0}
    summary = {"models": {"mllm": {"name": "<script>alert(1)</script>"}, "base": {"name": "b"}},
               "comparison": {"per_task": {'<img src=x onerror="alert(1)">': comparison}, "overall": comparison},
               "template": {"mllm_chat_template_hash": None, "base_chat_template_hash": None, "prompt_hash": "0" * 12,
                            "chat_templates_match": True}}
    md = forgetting_markdown(summary)
    assert "\\<script" in md and "\\<img" in md  # escaped: Markdown shows the text, renders no tag
    assert not re.search(r"(?<!\\)<", md)
