"""WINGS vs the LLaVA-style baseline (same model, `use_learners=False`): parameter overhead and CPU step time.

(a) Parameters of the real Wings_base dimensions (Qwen1.5-7B + 26-layer SigLIP-so400m + rank-64 learners + routers),
    counted on the meta device from configs alone (no weights), compared with the paper's ~1.7 %.
(b) CPU timing at a small size, WINGS and baseline side by side with the same backbone weights, interleaved:
    training step (forward + backward + AdamW step; stage-2 trainable set for WINGS, the baseline's full fine-tune
    set for the baseline) and inference forward (no grad), on text-only and on image inputs. Ratios WINGS/baseline;
    target <= 1.15x. `--profile` prints where WINGS spends its forward time (cProfile of wings_ref functions).

    .venv/bin/python benchmarks/wings_overhead.py [--repeats 5] [--seq 512] [--batch 2] [--profile] [--params-only]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import Qwen2Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere in the checkout
from wings_ref import WingsConfig, WingsForConditionalGeneration  # noqa: E402
from wings_ref.official import LEARNER_RANK, OFFICIAL_VISION, QWEN15_7B, ROUTER_WIDTH, SYSTEM_PROMPT_LEN  # noqa: E402
from wings_ref.train.stages import apply_stage, optimizer_groups, param_group  # noqa: E402

PAPER_OVERHEAD_PCT = 1.7
TARGET_RATIO = 1.15
STAGE2 = ("llm", "projector", "visual_learner", "textual_learner", "router")
BASELINE_TRAIN = ("llm", "projector")
LRS = {"llm": 2e-6, "projector": 1e-5, "visual_learner": 2e-6, "textual_learner": 2e-6, "router": 2e-6}


# --------------------------------------------------------------------------------------------- (a) parameters
def wings_base_config(use_learners: bool = True, **overrides) -> WingsConfig:
    """Released Wings_base dimensions: Qwen1.5-7B, SigLIP-so400m with 26 of 27 layers kept, rank 64, width-4096 router."""
    vision = {**OFFICIAL_VISION, "num_hidden_layers": OFFICIAL_VISION["num_hidden_layers"] - 1}
    kwargs = dict(text_config=dict(QWEN15_7B, model_type="qwen2"), vision_config=vision, vision_feature_layer=-1,
                  learner_rank=LEARNER_RANK, router_width=ROUTER_WIDTH, system_prompt_len=SYSTEM_PROMPT_LEN,
                  use_learners=use_learners)
    kwargs.update(overrides)
    return WingsConfig(**kwargs)


def count_by_group(config: WingsConfig) -> dict[str, int]:
    """Parameter count per training group (vision, projector, visual_learner, textual_learner, router, llm)."""
    with torch.device("meta"):
        model = WingsForConditionalGeneration(config)
    counts: dict[str, int] = {}
    for name, param in model.named_parameters():
        counts[param_group(name)] = counts.get(param_group(name), 0) + param.numel()
    return dict(sorted(counts.items()))


def report_parameters() -> None:
    wings, base = count_by_group(wings_base_config(True)), count_by_group(wings_base_config(False))
    learners = wings["visual_learner"] + wings["textual_learner"]
    added = learners + wings["router"]
    total_w, total_b = sum(wings.values()), sum(base.values())
    assert total_w - total_b == added, "WINGS must differ from the baseline by learners + router only"
    print("(a) parameters, Wings_base dimensions (meta device, no weights)")
    for group in sorted(wings):
        print(f"    {group:16s} {wings[group]:>15,d}")
    print(f"    {'total WINGS':16s} {total_w:>15,d}")
    print(f"    {'total baseline':16s} {total_b:>15,d}")
    per_layer = added // QWEN15_7B["num_hidden_layers"]
    print(f"    learners {learners:,d} + router {wings['router']:,d} = {added:,d} added ({per_layer:,d} per layer)")
    print(f"    overhead vs baseline (LLM + tower + projector): {100 * added / total_b:.3f} %")
    print(f"    overhead vs LLM alone ({wings['llm']:,d}):       {100 * added / wings['llm']:.3f} %")
    print(f"    paper: ~{PAPER_OVERHEAD_PCT} % (134M learners at 7B)")


# ------------------------------------------------------------------------------------------------ (b) timing
@dataclass(frozen=True)
class Inputs:
    name: str
    input_ids: torch.Tensor
    labels: torch.Tensor
    pixel_values: torch.Tensor | None


def small_config(use_learners: bool, args) -> WingsConfig:
    """Qwen2-shaped LLM (intermediate/hidden as in Qwen1.5-7B) + a tiny SigLIP; sizes from the command line."""
    text = Qwen2Config(hidden_size=args.hidden, num_hidden_layers=args.layers, num_attention_heads=args.heads,
                       num_key_value_heads=args.heads, intermediate_size=args.hidden * 11008 // 4096,
                       vocab_size=args.vocab, max_position_embeddings=4096, pad_token_id=0)
    vision = dict(hidden_size=256, intermediate_size=1024, num_hidden_layers=4, num_attention_heads=4,
                  image_size=args.image_size, patch_size=16)
    return WingsConfig(text_config=text.to_dict(), vision_config=vision, learner_rank=args.rank,
                       image_token_id=args.vocab - 1, router_width=max(args.seq, 64), system_prompt_len=14,
                       use_learners=use_learners, attn_implementation="sdpa")


def make_inputs(config: WingsConfig, args) -> list[Inputs]:
    gen = torch.Generator().manual_seed(0)
    text_ids = torch.randint(1, args.vocab - 1, (args.batch, args.seq), generator=gen)
    n_img = config.image_seq_length
    if n_img >= args.seq - 16:
        raise SystemExit(f"--seq {args.seq} leaves no room for text around {n_img} image tokens; raise --seq")
    image_ids = text_ids.clone()
    image_ids[:, 16:16 + n_img] = config.image_token_id  # system prompt + question, image, more text
    image_labels = image_ids.masked_fill(image_ids == config.image_token_id, -100)
    pixels = torch.randn(args.batch, 3, args.image_size, args.image_size, generator=gen)
    return [Inputs("text-only", text_ids, text_ids, None), Inputs(f"image ({n_img} tok)", image_ids, image_labels, pixels)]


def build_pair(args) -> tuple[WingsForConditionalGeneration, WingsForConditionalGeneration]:
    """Baseline and WINGS with identical backbone weights; learners randomised so no path is a no-op."""
    torch.manual_seed(0)
    base = WingsForConditionalGeneration(small_config(False, args))
    wings = WingsForConditionalGeneration(small_config(True, args))
    missing, unexpected = wings.load_state_dict(base.state_dict(), strict=False)
    assert not unexpected and all(param_group(k) in STAGE2[2:] for k in missing)
    with torch.no_grad():
        for name, p in wings.named_parameters():
            if param_group(name) in STAGE2[2:]:
                p.normal_(0.0, 0.02)
    return base, wings


def train_step_fn(model, trained: tuple[str, ...], inputs: Inputs) -> Callable[[], None]:
    apply_stage(model, trained)
    opt = torch.optim.AdamW(optimizer_groups(model, LRS, weight_decay=0.0))
    model.train()

    def step() -> None:
        out = model(input_ids=inputs.input_ids, pixel_values=inputs.pixel_values, labels=inputs.labels)
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return step


def forward_fn(model, inputs: Inputs) -> Callable[[], None]:
    def fwd() -> None:
        model.eval()
        with torch.no_grad():
            model(input_ids=inputs.input_ids, pixel_values=inputs.pixel_values)
    return fwd


def median_pair(f_base: Callable, f_wings: Callable, repeats: int) -> tuple[float, float]:
    """One warm-up each, then `repeats` interleaved runs (so drift hits both alike); medians in seconds."""
    f_base(), f_wings()
    tb, tw = [], []
    for _ in range(repeats):
        for f, acc in ((f_base, tb), (f_wings, tw)):
            t0 = time.perf_counter()
            f()
            acc.append(time.perf_counter() - t0)
    return statistics.median(tb), statistics.median(tw)


def report_timing(args) -> None:
    torch.set_num_threads(args.threads)
    base, wings = build_pair(args)
    n_learn = sum(p.numel() for n, p in wings.named_parameters() if param_group(n) in STAGE2[2:])
    n_base = sum(p.numel() for p in base.parameters())
    print(f"\n(b) CPU timing, {torch.get_num_threads()} threads, torch {torch.__version__}: hidden {args.hidden}, "
          f"{args.layers} layers, {args.heads} heads, rank {args.rank}, vocab {args.vocab}, seq {args.seq}, "
          f"batch {args.batch}; baseline {n_base:,d} params, learners+router {n_learn:,d} "
          f"({100 * n_learn / n_base:.1f} %); median of {args.repeats} after 1 warm-up")
    print(f"    {'input':18s} {'measure':22s} {'baseline s':>11s} {'WINGS s':>9s} {'ratio':>7s}")
    for inputs in make_inputs(wings.config, args):
        rows = [("train step (stage 2)", train_step_fn(base, BASELINE_TRAIN, inputs),
                 train_step_fn(wings, STAGE2, inputs)),
                ("forward (no grad)", forward_fn(base, inputs), forward_fn(wings, inputs))]
        for label, fb, fw in rows:
            tb, tw = median_pair(fb, fw, args.repeats)
            flag = "ok" if tw / tb <= TARGET_RATIO else f"> {TARGET_RATIO}"
            print(f"    {inputs.name:18s} {label:22s} {tb:11.3f} {tw:9.3f} {tw / tb:6.3f}x {flag}", flush=True)
    if args.profile:
        profile_wings(wings, make_inputs(wings.config, args)[1])


def profile_wings(wings, inputs: Inputs) -> None:
    """Forward of WINGS on image inputs under cProfile; CPU ops are synchronous, so cumulative times are real."""
    fwd = forward_fn(wings, inputs)
    fwd()
    prof = cProfile.Profile()
    prof.enable()
    fwd()
    prof.disable()
    print("\nWINGS forward (image inputs), cumulative time of wings_ref / attention functions:")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(r"modeling_wings|sdpa_attention|modeling_qwen2|siglip", 25)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--rank", type=int, default=32)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--image-size", type=int, default=224, help="tiny SigLIP, patch 16: (size/16)^2 image tokens")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--params-only", action="store_true")
    args = ap.parse_args()
    report_parameters()
    if not args.params_only:
        report_timing(args)


if __name__ == "__main__":
    main()
