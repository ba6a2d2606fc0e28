"""LAWS extraction cost: peak memory and time of (i) eager `output_attentions`, (ii) a plain sdpa forward and
(iii) iitbench's attention-interface extraction, on a random mid-size Qwen2 (CPU, fp32).

Each run is a fresh subprocess; its peak-RSS delta is VmHWM after the forward minus VmRSS just before it (the peak
is reset through /proc/self/clear_refs after the model is built). Variants are interleaved `--repeats` times and
medians reported: with glibc's default malloc, tensors of a few MiB come from its heap once its dynamic mmap
threshold has risen, and how much freed heap stays resident depends on the heap's layout, which already differs
between identical runs - one sdpa forward peaked anywhere from 150 to 220 MiB (benchmarks/RESULTS.md).
`--malloc fixed` runs every variant with glibc's mmap threshold fixed at 1 MiB: tensors of 1 MiB or more get their
own mappings and are returned on free, so the peak is what the live tensors need (repeatable to ~1 MiB).
Targets: (iii) peak <= 0.2 x (i) and <= 1.5 x (ii); (iii) time <= 3 x (ii).

    python benchmarks/laws_memory.py [--seq 4096] [--layers 8] [--hidden 512] [--heads 8] [--threads 1]
                                     [--repeats 3] [--malloc default|fixed] [--variants eager,sdpa,laws]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MALLOC = {"default": {}, "fixed": {"MALLOC_MMAP_THRESHOLD_": str(1 << 20)}}  # glibc tunables


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(key)


def child(variant: str, seq: int, layers: int, hidden: int, heads: int, threads: int) -> dict:
    import torch

    if threads:
        torch.set_num_threads(threads)
    from transformers import Qwen2Config, Qwen2ForCausalLM

    sys.path.insert(0, str(ROOT))
    from iitbench.laws.collect import ColumnMass
    from iitbench.laws.hf_backend import interface_forward

    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=1024, hidden_size=hidden, intermediate_size=hidden * 3, num_hidden_layers=layers,
                         num_attention_heads=heads, num_key_value_heads=max(1, heads // 2),
                         max_position_embeddings=max(seq, 4096), dtype="float32",
                         attn_implementation="eager" if variant == "eager" else "sdpa")
    model = Qwen2ForCausalLM(config).eval()
    ids = torch.randint(0, 1024, (1, seq))
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "use_cache": False, "logits_to_keep": 1}
    with torch.inference_mode():  # warm-up on a short prefix (kernels, allocator)
        model(input_ids=ids[:, :64], use_cache=False, logits_to_keep=1)
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS counter
    before = _status("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        if variant == "eager":
            out = model(**inputs, output_attentions=True)
            assert len(out.attentions) == layers
        elif variant == "sdpa":
            model(**inputs)
        else:
            mass = ColumnMass(layers, inputs["attention_mask"], "sum")
            interface_forward(model, inputs, mass)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"variant": variant, "peak_delta_mib": (_status("VmHWM") - before) / 2**20, "seconds": seconds,
            "cpu_seconds": cpu}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seq", type=int, default=4096)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default); 1 is robust "
                   "against other processes competing for the cores")
    p.add_argument("--variants", default="eager,sdpa,laws", help="comma-separated subset, in this order")
    p.add_argument("--repeats", type=int, default=3, help="fresh processes per variant, interleaved; medians")
    p.add_argument("--malloc", choices=sorted(MALLOC), default="default",
                   help="fixed: glibc mmap threshold 1 MiB in every variant (peak = live tensors)")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.seq, a.layers, a.hidden, a.heads, a.threads)))
        return
    shape = ["--seq", str(a.seq), "--layers", str(a.layers), "--hidden", str(a.hidden), "--heads", str(a.heads),
             "--threads", str(a.threads)]
    print(f"random Qwen2: hidden {a.hidden}, {a.layers} layers, {a.heads} heads ({max(1, a.heads // 2)} kv), "
          f"{a.seq} tokens, fp32, CPU, batch 1, torch threads {a.threads or 'default'}, malloc {a.malloc}, "
          f"median of {a.repeats}")
    variants = a.variants.split(",")
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    for _ in range(a.repeats):  # interleaved, so that a change of load hits every variant alike
        for variant in variants:
            done = subprocess.run([sys.executable, __file__, "--child", variant, *shape], capture_output=True,
                                  text=True, env={**os.environ, **MALLOC[a.malloc]})
            if done.returncode:
                sys.exit(f"{variant} failed:\n{done.stderr[-2000:]}")
            runs[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
    rows = {v: {k: statistics.median(r[k] for r in rs) for k in ("peak_delta_mib", "seconds", "cpu_seconds")}
            for v, rs in runs.items()}
    for variant, row in rows.items():
        peaks = [r["peak_delta_mib"] for r in runs[variant]]
        print(f"{variant:6s} peak RSS delta {row['peak_delta_mib']:9.1f} MiB (runs {min(peaks):.1f}-{max(peaks):.1f})"
              f"   time {row['seconds']:7.2f} s   cpu {row['cpu_seconds']:7.2f} s")
    if not {"sdpa", "laws"} <= set(rows):
        return
    s, x = rows["sdpa"], rows["laws"]
    if "eager" in rows:
        print(f"P3 laws/eager peak  {x['peak_delta_mib'] / rows['eager']['peak_delta_mib']:.3f}  (target <= 0.2)")
    print(f"P3 laws/sdpa  peak  {x['peak_delta_mib'] / s['peak_delta_mib']:.3f}  (target <= 1.5)")
    print(f"P4 laws/sdpa  time  {x['seconds'] / s['seconds']:.3f}  (target <= 3; cpu-time ratio "
          f"{x['cpu_seconds'] / s['cpu_seconds']:.3f})")


if __name__ == "__main__":
    main()
