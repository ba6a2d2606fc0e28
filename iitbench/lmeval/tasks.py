"""Export IIT-synth's text families as lm-eval tasks: one multiple-choice task per family plus the group
`iitsynth_text`, with the data as local JSONL files, so any lm-eval model can be scored on them offline:

    iitbench export-lm-eval --out tasks/ && lm_eval --model hf --model_args pretrained=DIR \\
        --tasks iitsynth_text --include_path tasks/

Each JSONL line holds the question, its options, `letters` (the candidates), `gold` (the answer's index) and `prompt`:
the single-turn user text iitbench's runner builds (`PromptFormat().user_message`: question, lettered options,
instruction). The YAML uses `prompt`/`letters`/`gold` as field names, not Jinja, so the text reaches the model byte
for byte. `data_files` are ABSOLUTE paths because lm-eval resolves relative ones from the current directory, not
from the YAML's folder: move the folder and you must export again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from iitbench.data.types import Question, TextPart, Turn
from iitbench.errors import UserError

GROUP = "iitsynth_text"
TASK_PREFIX = "iitsynth_text_"
SPLIT = "test"  # the synth split exported: the one iitbench's suites evaluate on
METRICS = ("acc", "acc_norm")


@dataclass(frozen=True)
class ExportedTasks:
    """What `export_synth_tasks` wrote."""

    root: Path
    group: str
    tasks: tuple[str, ...]  # task names, in family order
    files: tuple[Path, ...]  # every YAML and JSONL file written, sorted


def task_name(family: str) -> str:
    return f"{TASK_PREFIX}{family}"


def question_turn(q: Question) -> Turn:
    """The single text turn iitbench's runner would ask for question `q`."""
    if any(not isinstance(p, TextPart) for p in q.parts):
        raise UserError(f"{q.id}: has an image; only text families export to lm-eval")
    return Turn(kind="T", source=q.source, parts=tuple(q.parts), choices=q.choices, answer=q.answer)


def doc_for(q: Question) -> dict:
    """One JSONL record; `prompt` is exactly the text of the runner's user message for this single turn."""
    from iitbench.runner.render import PromptFormat

    fmt = PromptFormat()  # letter candidates: the default of `iitbench run`
    turn = question_turn(q)
    prompt = fmt.user_message(Path("."), turn, q.id).text
    return {"id": q.id, "family": q.subject, "question": q.text, "options": list(q.choices),
            "letters": list(fmt.candidates_for(turn)), "gold": q.answer, "prompt": prompt}


def task_config(family: str, data_file: Path, seed: int, n_per_family: int) -> dict:
    from iitbench.sources.synth import VERSION

    return {
        "task": task_name(family),
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {SPLIT: str(data_file.resolve())}},
        "test_split": SPLIT,
        "output_type": "multiple_choice",
        "doc_to_text": "prompt",
        "doc_to_choice": "letters",
        "doc_to_target": "gold",
        "target_delimiter": " ",  # lm-eval's default, written out: the candidate is scored as " A"
        "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in METRICS],
        "metadata": {"version": float(VERSION), "iitbench_synth_version": VERSION, "seed": seed,
                     "n_per_family": n_per_family, "split": SPLIT},
    }


def group_config(tasks: Sequence[str]) -> dict:
    return {
        "group": GROUP,
        "task": list(tasks),
        "aggregate_metric_list": [{"metric": m, "aggregation": "mean", "weight_by_size": True} for m in METRICS],
        "metadata": {"version": 1.0},
    }


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _yaml(obj: dict) -> str:
    import yaml

    return yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=1000)


def export_synth_tasks(out: Path, seed: int = 0, n_per_family: int = 50,
                       families: Sequence[str] | None = None) -> ExportedTasks:
    """Write `out/<task>.yaml`, `out/data/<family>.jsonl` and `out/iitsynth_text.yaml`; deterministic bytes."""
    from iitbench.sources.synth import TEXT_FAMILIES, load_synth

    if n_per_family < 1:
        raise UserError(f"--n-per-family {n_per_family}: must be at least 1")
    chosen = list(families) if families is not None else list(TEXT_FAMILIES)
    unknown = [f for f in chosen if f not in TEXT_FAMILIES]
    if unknown:
        raise UserError(f"unknown text family {', '.join(unknown)}; choose from {', '.join(TEXT_FAMILIES)}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a directory; give a directory")
    questions = load_synth(SPLIT, n_per_family=n_per_family, seed=seed, kinds=("T",), families=chosen)
    files: list[Path] = []
    tasks: list[str] = []
    for family in chosen:
        docs = [doc_for(q) for q in questions if q.subject == family]
        data = out / "data" / f"{family}.jsonl"
        files.append(_write(data, "".join(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n" for d in docs)))
        files.append(_write(out / f"{task_name(family)}.yaml", _yaml(task_config(family, data, seed, n_per_family))))
        tasks.append(task_name(family))
    files.append(_write(out / f"{GROUP}.yaml", _yaml(group_config(tasks))))
    return ExportedTasks(root=out, group=GROUP, tasks=tuple(tasks), files=tuple(sorted(files)))
