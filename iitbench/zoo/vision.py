"""The zoo's vision encoder: a tiny SigLIP-architecture `SiglipVisionModel`, pre-trained on IIT-synth train images.

Objective (cheap: minutes on 2 cores; measured times in benchmarks/RESULTS.md): five linear heads on the mean-pooled
patch features predict scene attributes of the rendered spec: the biggest shape's kind, colour and position, the
number of shapes, and the written word or number ("none" when there is none). The encoder is then saved alone
(safetensors) and meant to be frozen by the MLLMs built on it. Pixels: RGB / 255, normalised with mean = std = 0.5
(SigLIP's convention).
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from iitbench.sources.synth import VISUAL_FAMILIES, generate_one
from iitbench.sources.synth.render import SHAPES, Scene
from iitbench.sources.synth.text_tasks import WORDS3, WORDS4
from iitbench.sources.synth.visual_tasks import COLOURS, NUMBERS, POSITIONS
from iitbench.zoo.recipes import VisionRecipe

IGNORE = -100
MAX_COUNT = 10
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "shape": SHAPES,
    "colour": COLOURS,
    "position": tuple(POSITIONS),
    "count": tuple(str(i) for i in range(MAX_COUNT + 1)),
    "text": ("none", *WORDS3, *WORDS4, *NUMBERS),
}


@dataclass(frozen=True)
class ImageSet:
    pixels: torch.Tensor  # [n, 3, H, W], normalised
    labels: dict[str, torch.Tensor]  # attribute -> [n] class index (IGNORE where not applicable)


def scene_labels(scene: Scene) -> dict[str, int]:
    """Attribute class indices of one scene (the biggest shape stands for the scene's shape/colour/position)."""
    out = {"count": ATTRIBUTES["count"].index(str(min(len(scene.shapes), MAX_COUNT)))}
    if scene.shapes:
        big = max(scene.shapes, key=lambda s: s.r)  # first of the biggest on ties (max keeps the first)
        where = min(POSITIONS, key=lambda k: (POSITIONS[k][0] - big.cx) ** 2 + (POSITIONS[k][1] - big.cy) ** 2)
        out |= {"shape": SHAPES.index(big.shape), "colour": COLOURS.index(big.colour),
                "position": ATTRIBUTES["position"].index(where)}
    else:
        out |= {"shape": IGNORE, "colour": IGNORE, "position": IGNORE}
    word = scene.texts[0].text if scene.texts else "none"
    out["text"] = ATTRIBUTES["text"].index(word) if word in ATTRIBUTES["text"] else IGNORE
    return out


def to_pixels(images: Sequence[Image.Image], size: int) -> torch.Tensor:
    arrays = []
    for im in images:
        im = im.convert("RGB")
        if im.size != (size, size):
            im = im.resize((size, size), Image.BICUBIC)
        arrays.append(np.asarray(im, dtype=np.float32) / 255.0)
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
    return (x - 0.5) / 0.5


def load_images(split: str, n_per_family: int, seed: int, size: int) -> ImageSet:
    """Rendered images of every visual family with their scene labels (deterministic)."""
    images, rows = [], []
    for family in sorted(VISUAL_FAMILIES):
        for i in range(n_per_family):
            g = generate_one(family, split, seed, i)
            images.append(Image.open(io.BytesIO(g.image)))
            rows.append(scene_labels(g.spec.scene))
    labels = {a: torch.tensor([r[a] for r in rows], dtype=torch.long) for a in ATTRIBUTES}
    return ImageSet(to_pixels(images, size), labels)


def make_encoder(recipe: VisionRecipe):
    from transformers import SiglipVisionConfig, SiglipVisionModel

    config = SiglipVisionConfig(hidden_size=recipe.hidden_size, intermediate_size=recipe.intermediate_size,
                                num_hidden_layers=recipe.num_layers, num_attention_heads=recipe.num_heads,
                                image_size=recipe.image_size, patch_size=recipe.patch_size, num_channels=3,
                                vision_use_head=False)
    return SiglipVisionModel(config)


class AttributeProbe(torch.nn.Module):
    """The encoder plus one linear head per attribute on mean-pooled last-layer patch features."""

    def __init__(self, encoder, hidden: int):
        super().__init__()
        self.encoder = encoder
        self.heads = torch.nn.ModuleDict({a: torch.nn.Linear(hidden, len(v)) for a, v in ATTRIBUTES.items()})

    def forward(self, pixels: torch.Tensor) -> dict[str, torch.Tensor]:
        pooled = self.encoder(pixel_values=pixels).last_hidden_state.mean(dim=1)
        return {a: head(pooled) for a, head in self.heads.items()}


def probe_loss(logits: dict[str, torch.Tensor], labels: dict[str, torch.Tensor]) -> torch.Tensor:
    return sum(torch.nn.functional.cross_entropy(logits[a], labels[a], ignore_index=IGNORE) for a in ATTRIBUTES)


@torch.no_grad()
def attribute_accuracy(probe: AttributeProbe, data: ImageSet, batch: int = 256) -> dict[str, float]:
    """Top-1 accuracy per attribute over the images where it applies."""
    probe.eval()
    preds = {a: [] for a in ATTRIBUTES}
    for start in range(0, len(data.pixels), batch):
        out = probe(data.pixels[start:start + batch])
        for a in ATTRIBUTES:
            preds[a].append(out[a].argmax(-1))
    acc = {}
    for a in ATTRIBUTES:
        p, y = torch.cat(preds[a]), data.labels[a]
        keep = y != IGNORE
        acc[a] = round(float((p[keep] == y[keep]).float().mean()), 4) if keep.any() else float("nan")
    return acc


@dataclass(frozen=True)
class VisionResult:
    probe: AttributeProbe
    train_seconds: float
    n_train: int
    losses: tuple[float, ...]


def train_vision(recipe: VisionRecipe, seed: int = 0, data: ImageSet | None = None, log=print) -> VisionResult:
    """Pre-train the encoder + heads with AdamW and a cosine schedule; deterministic for a seed on one machine."""
    torch.manual_seed(seed)
    data = data or load_images("train", recipe.n_per_family, seed, recipe.image_size)
    probe = AttributeProbe(make_encoder(recipe), recipe.hidden_size)
    opt = torch.optim.AdamW(probe.parameters(), lr=recipe.learning_rate, weight_decay=recipe.weight_decay)

    def lr_at(step: int) -> float:
        if step < recipe.warmup_steps:
            return (step + 1) / recipe.warmup_steps
        t = (step - recipe.warmup_steps) / max(1, recipe.steps - recipe.warmup_steps)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    gen = torch.Generator().manual_seed(seed)
    n, losses, t0 = len(data.pixels), [], time.perf_counter()
    order = torch.randperm(n, generator=gen)
    cursor = 0
    probe.train()
    for step in range(recipe.steps):
        if cursor + recipe.batch_size > n:
            order, cursor = torch.randperm(n, generator=gen), 0
        idx = order[cursor:cursor + recipe.batch_size]
        cursor += recipe.batch_size
        loss = probe_loss(probe(data.pixels[idx]), {a: v[idx] for a, v in data.labels.items()})
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(probe.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if log and (step + 1) % max(1, recipe.steps // 6) == 0:
            log(f"  vision step {step + 1}/{recipe.steps} loss {sum(losses[-50:]) / len(losses[-50:]):.3f} "
                f"({time.perf_counter() - t0:.0f}s)")
    return VisionResult(probe, time.perf_counter() - t0, n, tuple(losses))


def save_encoder(probe: AttributeProbe, out: Path) -> None:
    """The encoder alone (config.json + model.safetensors); the probe heads go next to it for re-evaluation."""
    from safetensors.torch import save_file

    out = Path(out)
    probe.encoder.save_pretrained(out, safe_serialization=True)
    heads = {k: v.detach().contiguous() for k, v in probe.heads.state_dict().items()}
    save_file(heads, str(out / "attribute_heads.safetensors"))


def micro_recipe() -> VisionRecipe:
    """A few-step configuration for tests."""
    return replace(VisionRecipe(), hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2,
                   n_per_family=4, n_eval_per_family=2, steps=3, batch_size=8, warmup_steps=1)


__all__ = ["ATTRIBUTES", "AttributeProbe", "ImageSet", "VisionResult", "attribute_accuracy", "load_images",
           "make_encoder", "micro_recipe", "save_encoder", "scene_labels", "to_pixels", "train_vision"]
