"""P1: multiple-choice scoring speed of iitbench's hf-causal (prefix sharing) vs lm-eval's own `hf` model (HFLM).

Same random Qwen2 (hidden 256, 4 layers, vocab ~2k; `bench_model.py`), same local tasks: IIT-synth's text families
exported with `iitbench.lmeval.tasks.export_synth_tasks` (candidates: the letters " A".." D"), and the same tasks
with the option TEXTS as candidates (multi-token continuations, where sharing the prompt matters most). Both models
run through `lm_eval.simple_evaluate` in one process, alternately, same batch size; the best of `--repeats` timings
counts. Prints wall times, the speed ratio (goal >= 1.5x), accuracies (must be identical) and the largest loglik
difference over all requests (goal <= 1e-4).

    .venv/bin/python benchmarks/p1_mc_vs_lmeval.py [--n-per-family 40] [--batch-size 8] [--repeats 2]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

import yaml
from bench_model import make_bench_model

from iitbench.lmeval.tasks import export_synth_tasks

GOAL = 1.5


def option_tasks(exported, out: Path) -> list[str]:
    """Copies of the exported tasks whose candidates are the option texts instead of the letters."""
    names = []
    for task in exported.tasks:
        cfg = yaml.safe_load((exported.root / f"{task}.yaml").read_text())
        cfg["task"] = task + "_options"
        cfg["doc_to_choice"] = "options"
        (out / f"{cfg['task']}.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        names.append(cfg["task"])
    return names


def timed(lm) -> None:
    """Time the model's `loglikelihood` calls (the scoring itself, without lm-eval's task and dataset set-up)."""
    inner = lm.loglikelihood

    def wrapper(requests, disable_tqdm: bool = False):
        t0 = time.perf_counter()
        try:
            return inner(requests, disable_tqdm=True)
        finally:
            lm.scoring_s += time.perf_counter() - t0
    lm.scoring_s = 0.0
    lm.loglikelihood = wrapper


def evaluate(model, tasks: list[str], include: Path):
    """(scoring seconds, end-to-end seconds, results) of one `simple_evaluate`."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    model.scoring_s = 0.0
    t0 = time.perf_counter()
    res = simple_evaluate(model=model, tasks=tasks, task_manager=TaskManager(include_path=str(include)),
                          log_samples=True, num_fewshot=0, bootstrap_iters=0)
    return model.scoring_s, time.perf_counter() - t0, res


def logliks(res) -> dict[tuple[str, int, int], float]:
    out = {}
    for task, samples in res["samples"].items():
        for s in samples:
            for j, r in enumerate(s["resps"]):
                out[(task, s["doc_id"], j)] = float(r[0][0])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-per-family", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: stable timings on a shared machine)")
    args = ap.parse_args()
    logging.getLogger("lm-eval").setLevel(logging.ERROR)
    os.environ.setdefault("TQDM_DISABLE", "1")
    import torch
    from lm_eval.models.huggingface import HFLM

    from iitbench.lmeval.lm import IitbenchLM

    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = make_bench_model(tmp / "model")
        exported = export_synth_tasks(tmp / "tasks", n_per_family=args.n_per_family)
        variants = {"letters": list(exported.tasks), "options": option_tasks(exported, tmp / "tasks")}
        ours = IitbenchLM(model=f"hf-causal:{path}", batch_size=args.batch_size, dtype="float32")
        theirs = HFLM(pretrained=str(path), batch_size=args.batch_size, dtype="float32", device="cpu")
        timed(ours)
        timed(theirs)
        print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()}")
        for name, tasks in variants.items():
            best = {"iitbench": float("inf"), "lm-eval hf": float("inf")}
            total = dict(best)
            results = {}
            for _ in range(args.repeats):
                for label, model in (("iitbench", ours), ("lm-eval hf", theirs)):
                    scoring, wall, res = evaluate(model, tasks, tmp / "tasks")
                    best[label], total[label] = min(best[label], scoring), min(total[label], wall)
                    results[label] = res
            acc = {k: {t: round(v["results"][t]["acc,none"], 6) for t in tasks} for k, v in results.items()}
            a, b = logliks(results["iitbench"]), logliks(results["lm-eval hf"])
            diff = max(abs(a[k] - b[k]) for k in b) if a.keys() == b.keys() else float("nan")
            ratio = best["lm-eval hf"] / best["iitbench"]
            e2e = total["lm-eval hf"] / total["iitbench"]
            print(f"[{name}] {len(a)} requests, {len(tasks)} tasks x {args.n_per_family} docs, batch {args.batch_size}")
            print(f"  scoring: iitbench hf-causal {best['iitbench']:.2f} s, lm-eval hf {best['lm-eval hf']:.2f} s: "
                  f"speed ratio {ratio:.2f}x (goal >= {GOAL}x)")
            print(f"  end to end (simple_evaluate, incl. task/dataset set-up): {total['iitbench']:.2f} s vs "
                  f"{total['lm-eval hf']:.2f} s: {e2e:.2f}x")
            print(f"  accuracy identical: {acc['iitbench'] == acc['lm-eval hf']}   max |loglik diff| {diff:.2e} "
                  f"(goal <= 1e-4)   tokens forwarded/unique so far: "
                  f"{ours.adapter.tally.forwarded}/{ours.adapter.tally.unique}")


if __name__ == "__main__":
    main()
