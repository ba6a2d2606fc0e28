"""Weight drift per layer: the relative Frobenius change of the LLM's matrices, MLLM vs base.

    drift_l = sqrt(sum_W ||W_mllm - W_base||_F^2) / sqrt(sum_W ||W_base||_F^2)

over the 2-D weights W of decoder layer l (attention and MLP projections; norms and biases are listed per parameter
in weight_drift.csv but left out of the per-layer number, which is about the matrices). `weight_drift_mean` averages
the layers; `global` pools every matched matrix, embeddings and LM head included.

Names are matched on the LLM's own part: in a list of parameter names, the decoder stack is the `<prefix>layers.<i>.`
family with as many layers as the text config has (vision stacks are skipped), and a name under `<prefix>` is kept
without it (`model.layers.3.mlp.up_proj.weight`, `model.language_model.layers.3...`, `language_model.model.layers.3...`
all become `layers.3.mlp.up_proj.weight`); any `...lm_head.weight` is `lm_head.weight`. An MLLM whose vocabulary
adds tokens has more embedding and LM-head rows: the base's rows are compared. MLLM-only parameters (vision
tower, projector, WINGS learners and routers) are counted, not compared. A base parameter the MLLM lacks, or has with
another shape, means different architectures: the predictor is refused with that parameter named.

Weights are read one tensor at a time, in row blocks, from the models' safetensors files (so neither model needs to
be in memory, and an offloaded 7B model costs two row blocks), or from a live module when an adapter was built
around one (`from_model`); sums in float64.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from iitbench.diagnose.options import NotComputable

# `<root><stack>.<i>.`: the decoder stacks of Llama/Qwen/WINGS/LLaVA (layers), GPT-2 (h), others (layer, blocks)
_LAYER = re.compile(r"^((?:.*\.)?)(layers|layer|h|blocks)\.(\d+)\.")
_VISION = re.compile(r"vision|visual|image|img|audio|siglip|clip", re.IGNORECASE)
BLOCK_ELEMENTS = 1 << 24  # elements per row block read (64 MiB in float32)


class WeightSource:
    """Named tensors with shapes; `rows(name)` yields float64 row blocks."""

    def shapes(self) -> dict[str, tuple[int, ...]]:
        raise NotImplementedError

    def rows(self, name: str) -> Iterator[torch.Tensor]:
        raise NotImplementedError


class FileWeights(WeightSource):
    """Every tensor in the *.safetensors files of a directory, read lazily."""

    def __init__(self, folder: Path):
        from safetensors import safe_open

        self.files: dict[str, Path] = {}
        self._shapes: dict[str, tuple[int, ...]] = {}
        for path in sorted(folder.glob("*.safetensors")):
            with safe_open(str(path), framework="pt") as f:
                for key in f.keys():
                    self.files[key] = path
                    self._shapes[key] = tuple(f.get_slice(key).get_shape())
        self._open: dict[Path, Any] = {}

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return self._shapes

    def rows(self, name: str) -> Iterator[torch.Tensor]:
        from safetensors import safe_open

        path = self.files[name]
        if path not in self._open:
            self._open[path] = safe_open(str(path), framework="pt")
        piece = self._open[path].get_slice(name)
        shape = self._shapes[name]
        if len(shape) < 2:
            yield piece[:].double()
            return
        step = max(1, BLOCK_ELEMENTS // max(1, int(np.prod(shape[1:]))))
        for a in range(0, shape[0], step):
            yield piece[a:min(shape[0], a + step)].double()


class ModuleWeights(WeightSource):
    """The state dict of a live module (parameters in place, any device)."""

    def __init__(self, module: torch.nn.Module):
        self.state = {k: v for k, v in module.state_dict().items() if v.device.type != "meta"}

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {k: tuple(v.shape) for k, v in self.state.items()}

    def rows(self, name: str) -> Iterator[torch.Tensor]:
        t = self.state[name]
        if t.dim() < 2:
            yield t.detach().to("cpu", torch.float64)
            return
        step = max(1, BLOCK_ELEMENTS // max(1, t[0].numel()))
        for a in range(0, t.shape[0], step):
            yield t[a:a + step].detach().to("cpu", torch.float64)


def weight_source(adapter, family: str) -> WeightSource | None:
    """The adapter's weights from its local safetensors files, else None."""
    from iitbench.models.hf_common import local_dir
    from iitbench.models.placement import IN_MEMORY

    path = getattr(adapter, "path", None)
    if not isinstance(path, str) or path == IN_MEMORY:
        return None
    folder = local_dir(path, getattr(adapter, "revision", None))
    if folder is None or not folder.is_dir() or not any(folder.glob("*.safetensors")):
        return None
    return FileWeights(folder)


def canonical(names: list[str], n_layers: int) -> dict[str, str]:
    """LLM-relative name -> original name (see the module docstring); names outside the LLM keep their own."""
    counts: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for name in names:
        m = _LAYER.match(name)
        if m and (m.group(1) + m.group(2), m.group(3)) not in seen:
            seen.add((m.group(1) + m.group(2), m.group(3)))
            counts[m.group(1) + "\0" + m.group(2)] += 1
    stacks = sorted((k.split("\0") for k, c in counts.items() if c == n_layers and not _VISION.search(k)),
                    key=lambda rs: len(rs[0]))
    prefix = stacks[0][0] if stacks else None
    out: dict[str, str] = {}
    for name in names:
        if name.endswith("lm_head.weight"):
            out["lm_head.weight"] = name
        elif prefix is not None and name.startswith(prefix):
            out[name[len(prefix):]] = name
        else:
            out["[outside]" + name] = name
    return out


def _extended_vocab(canon: str, mllm_shape: tuple[int, ...], base_shape: tuple[int, ...]) -> bool:
    """An MLLM whose vocabulary adds tokens (LLaVA's `<image>`, padded rows) has more embedding / LM-head rows: the
    base's rows (ids 0..V_base-1) are compared, the added rows are the MLLM's own."""
    return (canon in ("embed_tokens.weight", "lm_head.weight") and len(mllm_shape) == len(base_shape) == 2
            and mllm_shape[1] == base_shape[1] and mllm_shape[0] > base_shape[0])


def _layer_of(canon: str) -> int | None:
    m = re.match(r"^(?:layers|layer|h|blocks)\.(\d+)\.", canon)
    return int(m.group(1)) if m else None


def weight_drift(mllm: WeightSource, base: WeightSource, mllm_layers: int, n_layers: int,
                 base_tied: bool) -> dict[str, Any]:
    """Per-layer drift, the global drift and one row per compared parameter; NotComputable on a mismatch."""
    if mllm_layers != n_layers:
        raise NotComputable(f"the architectures differ: the MLLM's LLM has {mllm_layers} decoder layers, the base "
                            f"{n_layers}")
    ms, bs = mllm.shapes(), base.shapes()
    mc, bc = canonical(list(ms), n_layers), canonical(list(bs), n_layers)
    if not any(_layer_of(c) is not None for c in bc):
        raise NotComputable(f"no decoder layer with {n_layers} layers found among the base's parameter names")
    if not any(_layer_of(c) is not None for c in mc):
        raise NotComputable(f"no decoder layer with {n_layers} layers found among the MLLM's parameter names")
    rows, skipped_tied = [], 0
    for canon, bname in sorted(bc.items()):
        if canon.startswith("[outside]"):
            continue
        mname = mc.get(canon)
        if mname is None:
            raise NotComputable(f"the architectures differ: the base's {bname} has no counterpart in the MLLM's LLM")
        if ms[mname] != bs[bname] and not _extended_vocab(canon, ms[mname], bs[bname]):
            raise NotComputable(f"the architectures differ: {canon} is {tuple(bs[bname])} in the base and "
                                f"{tuple(ms[mname])} in the MLLM")
        diff = norm = 0.0
        for a, b in zip(mllm.rows(mname), base.rows(bname)):  # equal row blocks: the same row width
            a = a[:len(b)] if a.dim() else a  # an extended vocabulary: the base's rows only
            diff += float(((a - b) ** 2).sum())
            norm += float((b ** 2).sum())
        rows.append({"name": canon, "layer": _layer_of(canon), "shape": "x".join(map(str, bs[bname])),
                     "matrix": len(bs[bname]) == 2, "base_norm": norm ** 0.5, "diff_norm": diff ** 0.5,
                     "relative": (diff / norm) ** 0.5 if norm > 0 else None})
    extra = [c for c in mc if c not in bc and not c.startswith("[outside]")]
    if "lm_head.weight" in extra and base_tied:  # the base ties its head to the embeddings: nothing to compare
        extra.remove("lm_head.weight")
        skipped_tied = 1
    return {"per_layer": _pool(rows, n_layers), "global": _pooled([r for r in rows if r["matrix"]]),
            "parameters": rows, "n_compared": len(rows), "n_mllm_only": len(extra) + sum(
                c.startswith("[outside]") for c in mc), "tied_head_skipped": bool(skipped_tied)}


def _pooled(rows: list[dict[str, Any]]) -> float | None:
    norm = sum(r["base_norm"] ** 2 for r in rows)
    return (sum(r["diff_norm"] ** 2 for r in rows) / norm) ** 0.5 if norm > 0 else None


def _pool(rows: list[dict[str, Any]], n_layers: int) -> list[float | None]:
    return [_pooled([r for r in rows if r["layer"] == i and r["matrix"]]) for i in range(n_layers)]


__all__ = ["FileWeights", "ModuleWeights", "WeightSource", "canonical", "weight_drift", "weight_source"]
