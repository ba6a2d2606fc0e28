"""Each predictor's result (the content of OUTPUT/<predictor>.json) from the work store or a refusal.

A predictor file is the unit of resume: it is written once its predictor is complete (or refused, which is a
result too: the reason does not change on a rerun), and diagnose.json, the CSVs, the NPZ and the plot are assembled
from the four files at the end of every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from iitbench.diagnose.cka import cka_per_layer
from iitbench.diagnose.files import WorkStore
from iitbench.diagnose.mixing import early_layers, read_mixing
from iitbench.diagnose.options import CKA, MIXING, OUTPUT_SHIFT, WEIGHT_DRIFT
from iitbench.diagnose.stats import finite, layer_bands, mean_ci, point
from iitbench.diagnose.textpass import chunks

#: summary keys of each predictor (diagnose.json "summary"; null values when the predictor is not ok)
SUMMARY_KEYS = {
    OUTPUT_SHIFT: ("kl_mean", "kl_reverse_mean", "js_mean"),
    CKA: ("cka_mean", "cka_drift_mean"),
    WEIGHT_DRIFT: ("weight_drift_mean", "weight_drift_global"),
    MIXING: ("mixing_mean", "mixing_early_mean"),
}


def refused(predictor: str, reason: str, identity: dict[str, Any]) -> dict[str, Any]:
    return {"predictor": predictor, "status": "not computable", "reason": reason, "identity": identity,
            "summary": {k: point(None, 0) for k in SUMMARY_KEYS[predictor]}}


def _ok(predictor: str, identity: dict[str, Any], summary: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return finite({"predictor": predictor, "status": "ok", "reason": None, "identity": identity,
                   "summary": summary, **rest})


def _pairing(mllm: WorkStore, base: WorkStore, n_chunks: int) -> dict[str, Any]:
    """How many items got the same prompt token ids from both models, and truncation counts."""
    same = total = 0
    cut = {"mllm": 0, "base": 0}
    for i in range(n_chunks):
        a, b = mllm.meta(i), base.meta(i)
        same += sum(x == y for x, y in zip(a["ids_sha"], b["ids_sha"]))
        total += len(a["ids_sha"])
        cut["mllm"] += sum(t > 0 for t in a["truncated"])
        cut["base"] += sum(t > 0 for t in b["truncated"])
    return {"prompts_identical": same / total if total else None, "truncated_items": cut}


def finish_shift(prompts: Sequence, mllm: WorkStore, base: WorkStore, vocab: dict[str, Any], identity: dict,
                 n_boot: int, seed: int) -> dict[str, Any]:
    n_chunks = len(chunks(prompts))
    items = []
    for i in range(n_chunks):
        meta = base.meta(i)
        div = meta["divergence"]
        items += [{"key": k, "kl": kl, "kl_reverse": rev, "js": js}
                  for k, kl, rev, js in zip(meta["keys"], div["kl"], div["kl_reverse"], div["js"])]

    def col(name: str) -> np.ndarray:
        return np.asarray([np.nan if r[name] is None else r[name] for r in items], dtype=np.float64)

    summary = {"kl_mean": mean_ci(col("kl"), n_boot, seed), "kl_reverse_mean": mean_ci(col("kl_reverse"), n_boot, seed),
               "js_mean": mean_ci(col("js"), n_boot, seed)}
    return _ok(OUTPUT_SHIFT, identity, summary, vocab=vocab, n_items=len(items), items=items,
               **_pairing(mllm, base, n_chunks))


def finish_cka(prompts: Sequence, n_layers: int, mllm: WorkStore, base: WorkStore, identity: dict,
               bar=None) -> dict[str, Any]:
    n_chunks = len(chunks(prompts))

    def layer_of(store: WorkStore):
        return lambda layer: [store.array(i, "states")[layer] for i in range(n_chunks)]

    per_layer, route = cka_per_layer(n_layers, layer_of(mllm), layer_of(base), bar)
    values = np.asarray(per_layer, dtype=np.float64)
    n = len(prompts)
    mean = float(np.nanmean(values)) if np.isfinite(values).any() else None
    summary = {"cka_mean": point(mean, n), "cka_drift_mean": point(None if mean is None else 1.0 - mean, n)}
    return _ok(CKA, identity, summary, per_layer=per_layer, route=route, n_items=n,
               features="answer position: each decoder layer's output at the prompt's last token",
               **_pairing(mllm, base, n_chunks))


def finish_weights(found: dict[str, Any], identity: dict) -> dict[str, Any]:
    per_layer = [np.nan if v is None else v for v in found["per_layer"]]
    mean = float(np.nanmean(per_layer)) if np.isfinite(per_layer).any() else None
    summary = {"weight_drift_mean": point(mean, len(per_layer)),
               "weight_drift_global": point(found["global"], found["n_compared"])}
    return _ok(WEIGHT_DRIFT, identity, summary, **found)


def finish_mixing(requests: Sequence, n_layers: int, store: WorkStore, identity: dict, n_boot: int,
                  seed: int) -> dict[str, Any]:
    keys, cos, reasons = read_mixing(store, requests, n_layers)
    early = early_layers(n_layers)
    summary = {"mixing_mean": mean_ci(cos.mean(1) if len(cos) else [], n_boot, seed),
               "mixing_early_mean": mean_ci(cos[:, :early].mean(1) if len(cos) else [], n_boot, seed)}
    return _ok(MIXING, identity, summary, per_layer=layer_bands(cos, n_boot, seed), early_layers=early,
               n_dialogues=len(requests), n_used=len(keys), excluded=reasons,
               items=[{"key": k, "cosine": [float(v) for v in row]} for k, row in zip(keys, cos)])


__all__ = ["SUMMARY_KEYS", "finish_cka", "finish_mixing", "finish_shift", "finish_weights", "refused"]
