"""WINGS vs the LLaVA-style baseline on one GPU: memory and tokens/s, real Wings_base dimensions, random weights.

Random bf16 weights (sdpa attention) with the released shapes (Qwen1.5-7B + 26-layer SigLIP-so400m + rank-64 learners
+ routers; see wings_overhead.wings_base_config); timings do not depend on the weight values. The baseline is built,
measured and freed first, then WINGS, in one process, so both figures come from the same card.
  prefill : forward without cache on text-only and on image (729 tokens) inputs; tokens/s = batch*seq/median time
  generate: image prompt, greedy decoding with the KV cache; decode tokens/s = --new-tokens / (time(1+N new) - time(1 new))
  official: WINGS in official mode, image prompt: the released decoding re-runs the whole sequence at every step
            (--official-tokens new tokens; no baseline row: the baseline caches in both modes)
  train   : one stage-2 step without the optimizer (forward + backward on every weight but the vision tower, gradient
            checkpointing, labels = inputs), image input of --train-seq tokens
Memory: weights (allocated after build) and peak allocated per measure. Needs CUDA; on a machine without one it says
so and exits 1. `--smoke` runs the same code on CPU at toy size (to check the script, not to measure).

    .venv/bin/python benchmarks/wings_gpu.py [--seq 2048] [--batch 1] [--new-tokens 128] [--repeats 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from wings_overhead import wings_base_config  # noqa: E402

from wings_ref import WingsConfig, WingsForConditionalGeneration  # noqa: E402

GIB = 1024**3


@dataclass(frozen=True)
class Measure:
    name: str
    seconds: float
    tokens: int
    peak_gib: float | None

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds


def smoke_config(use_learners: bool) -> WingsConfig:
    """Toy dimensions for --smoke (CPU): same code path, seconds to run."""
    text = dict(model_type="qwen2", hidden_size=128, intermediate_size=344, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=4, vocab_size=1024, max_position_embeddings=4096)
    vision = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2, image_size=64,
                  patch_size=8)
    return WingsConfig(text_config=text, vision_config=vision, learner_rank=8, image_token_id=1023, router_width=4096,
                       use_learners=use_learners)


class Bench:
    def __init__(self, device: torch.device, dtype: torch.dtype, args):
        self.device, self.dtype, self.args = device, dtype, args

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def reset_peak(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()

    def peak(self) -> float | None:
        return torch.cuda.max_memory_allocated() / GIB if self.device.type == "cuda" else None

    def allocated(self) -> float | None:
        return torch.cuda.memory_allocated() / GIB if self.device.type == "cuda" else None

    def build(self, config: WingsConfig) -> WingsForConditionalGeneration:
        config._attn_implementation = "sdpa"
        torch.manual_seed(0)
        previous = torch.get_default_dtype()
        torch.set_default_dtype(self.dtype)  # initialise directly in bf16 on the device: no fp32 copy on the host
        try:
            with self.device:
                model = WingsForConditionalGeneration(config)
        finally:
            torch.set_default_dtype(previous)
        with torch.no_grad():  # learners' B starts at 0; make them non-zero so every path does real work
            for name, p in model.named_parameters():
                if ".attn_pool." in name or ".attn_t_pool." in name or ".reweight_module." in name:
                    p.normal_(0.0, 0.02)
        return model.eval()

    def inputs(self, config: WingsConfig, seq: int, image: bool):
        batch, vocab = self.args.batch, config.text_config.vocab_size
        gen = torch.Generator().manual_seed(0)
        ids = torch.randint(1, min(vocab, config.image_token_id) - 1, (batch, seq), generator=gen)
        pixels = None
        if image:
            n = config.image_seq_length
            if seq < config.system_prompt_len + n + 1:
                raise SystemExit(f"--seq {seq} is shorter than system prompt + {n} image tokens + 1")
            ids[:, config.system_prompt_len:config.system_prompt_len + n] = config.image_token_id
            size = config.vision_config.image_size
            pixels = torch.randn(batch, 3, size, size, generator=gen).to(self.device, self.dtype)
        return ids.to(self.device), pixels

    @torch.no_grad()
    def prefill(self, model, ids, pixels) -> float:
        model(input_ids=ids, pixel_values=pixels, use_cache=False, logits_to_keep=1)
        self.sync()
        times = []
        for _ in range(self.args.repeats):
            t0 = time.perf_counter()
            model(input_ids=ids, pixel_values=pixels, use_cache=False, logits_to_keep=1)
            self.sync()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    @torch.no_grad()
    def generate(self, model, ids, pixels, n: int) -> float:
        kwargs = dict(input_ids=ids, pixel_values=pixels, attention_mask=torch.ones_like(ids), max_new_tokens=n,
                      min_new_tokens=n, do_sample=False, pad_token_id=0)
        model.generate(**kwargs)
        self.sync()
        times = []
        for _ in range(self.args.repeats):
            t0 = time.perf_counter()
            out = model.generate(**kwargs)
            self.sync()
            times.append(time.perf_counter() - t0)
        assert out.shape[1] == ids.shape[1] + n, "generation stopped early"
        return statistics.median(times)

    def train_step(self, model, ids, pixels) -> float:
        """Median time of forward + backward (stage-2 trainables, gradient checkpointing); no optimizer state."""
        for name, p in model.named_parameters():
            p.requires_grad_(not name.startswith("model.vision_tower."))
        model.activation_checkpointing_enable()
        model.train()
        times = []
        for i in range(self.args.repeats + 1):
            t0 = time.perf_counter()
            model(input_ids=ids, pixel_values=pixels, labels=ids, use_cache=False).loss.backward()
            model.zero_grad(set_to_none=True)
            self.sync()
            if i:  # the first step warms up
                times.append(time.perf_counter() - t0)
        model.eval()
        model.activation_checkpointing_disable()
        return statistics.median(times)

    def decode(self, model, config, label: str, n: int) -> Measure:
        ids, pixels = self.inputs(config, self.args.prompt_len, True)
        t_first = self.generate(model, ids, pixels, 1)  # prefill + 1 token, through the same generate() code
        self.reset_peak()
        t_total = self.generate(model, ids, pixels, 1 + n)
        return Measure(f"{label} ({n} tok)", t_total - t_first, self.args.batch * n, self.peak())

    def measure(self, config: WingsConfig) -> tuple[float | None, list[Measure]]:
        model = self.build(config)
        weights = self.allocated()
        rows, batch = [], self.args.batch
        for label, image in (("prefill text-only", False), ("prefill image", True)):
            ids, pixels = self.inputs(config, self.args.seq, image)
            self.reset_peak()
            rows.append(Measure(label, self.prefill(model, ids, pixels), batch * ids.shape[1], self.peak()))
        rows.append(self.decode(model, config, "decode", self.args.new_tokens))
        if config.use_learners:  # the released decoding: no cache with an image
            model.config.mode = "official"
            for layer in model.model.layers:
                layer.official = True
            rows.append(self.decode(model, config, "decode official", self.args.official_tokens))
            model.config.mode = "clean"
            for layer in model.model.layers:
                layer.official = False
        ids, pixels = self.inputs(config, self.args.train_seq, True)
        self.reset_peak()
        rows.append(Measure("train step fwd+bwd", self.train_step(model, ids, pixels), batch * ids.shape[1],
                            self.peak()))
        del model
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        return weights, rows


def fmt(x: float | None, spec: str) -> str:
    width = spec.split(".")[0]
    return format("n/a", f">{width}") if x is None else format(x, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seq", type=int, default=2048, help="prefill length (image inputs: 14 + 729 image + text)")
    ap.add_argument("--prompt-len", type=int, default=800, help="image prompt length for generation")
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--official-tokens", type=int, default=32, help="new tokens of the official-mode decode")
    ap.add_argument("--train-seq", type=int, default=2048, help="train-step input length (released: 2048)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--smoke", action="store_true", help="toy size on CPU, fp32: checks the script, measures nothing")
    args = ap.parse_args()
    if args.smoke:
        device, dtype, make = torch.device("cpu"), torch.float32, smoke_config
        args.seq, args.prompt_len, args.new_tokens, args.repeats = 128, 80, 4, 1
        args.official_tokens, args.train_seq = 4, 128
    elif not torch.cuda.is_available():
        print("wings_gpu.py: no CUDA device (torch.cuda.is_available() is False); run it on a GPU machine, "
              "or pass --smoke to check the script on CPU at toy size")
        sys.exit(1)
    else:
        device, dtype, make = torch.device("cuda"), torch.bfloat16, wings_base_config
        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, bf16, sdpa")
    bench = Bench(device, dtype, args)
    results = {name: bench.measure(make(flag)) for name, flag in (("baseline", False), ("WINGS", True))}
    (w_base, base_rows), (w_wings, wings_rows) = results["baseline"], results["WINGS"]
    print(f"batch {args.batch}, prefill seq {args.seq}, generation prompt {args.prompt_len} + {args.new_tokens} new, "
          f"median of {args.repeats}")
    print(f"weights GiB: baseline {fmt(w_base, '.2f')}, WINGS {fmt(w_wings, '.2f')}")
    print(f"{'measure':22s} {'base tok/s':>11s} {'WINGS tok/s':>12s} {'time ratio':>10s} "
          f"{'base peak GiB':>14s} {'WINGS peak GiB':>15s}")
    base_by_name = {b.name: b for b in base_rows}
    for w in wings_rows:
        b = base_by_name.get(w.name)
        ratio = f"{w.seconds / b.seconds:9.3f}x" if b else f"{'n/a':>10s}"
        print(f"{w.name:22s} {fmt(b and b.tokens_per_s, '11.1f')} {w.tokens_per_s:12.1f} {ratio} "
              f"{fmt(b and b.peak_gib, '14.2f')} {fmt(w.peak_gib, '15.2f')}")


if __name__ == "__main__":
    main()
