"""diagnose.json (schema below), the CSVs, the NPZ and the plot, assembled from the predictor files.

diagnose.json, `schema_version` 1 (stable: the validity study reads it; fields are only ever added):

- `command`: "iitbench diagnose"
- `models`: {"mllm", "base"} -> name, args, fingerprint (sha256 of the checkpoint files), family
  (causal | wings | vlm), n_layers, hidden_size, layers_prefix, tied_embeddings
- `data`: {"text": path, fingerprint, n_items, skipped_image_items; "iit": path, fingerprint, n_dialogues, n_used}
- `settings`: candidates, prompt_hash, limit, iit_limit, seed, n_boot, predictors, answer_position
- `summary`: one entry per scalar, each {"value", "lo", "hi", "n"} (lo/hi: percentile-bootstrap 95% CI over items
  for item statistics, null for CKA and weight drift; value null when the predictor was not computed):
  `kl_mean`, `kl_reverse_mean`, `js_mean` (output shift, nats), `cka_mean`, `cka_drift_mean` (= 1 - cka_mean),
  `weight_drift_mean`, `weight_drift_global`, `mixing_mean`, `mixing_early_mean`
- `predictors`: {name: {"status": ok | not computable | not requested, "reason", "file"}}
- `layers`: n_layers and per-layer arrays `cka`, `cka_drift`, `weight_drift`, `mixing`, `mixing_lo`, `mixing_hi`
  (null entries where not computed)
- `versions`: iitbench, torch, transformers, numpy, python

Written beside it: `items.csv` (per text item: key, kl, kl_reverse, js), `layers.csv` (the per-layer arrays),
`weight_drift.csv` (per compared parameter), `mixing_items.csv` (per dialogue and layer), `diagnose.npz` (the same
arrays) and `diagnose.png`. Timings are printed, never written, so two runs give identical files.
"""

from __future__ import annotations

import io
import platform
from pathlib import Path
from typing import Any

import numpy as np

from iitbench.diagnose.files import write_json, write_npz, write_text
from iitbench.diagnose.finish import SUMMARY_KEYS
from iitbench.diagnose.options import CKA, MIXING, OUTPUT_SHIFT, PREDICTORS, WEIGHT_DRIFT
from iitbench.diagnose.stats import finite

SCHEMA_VERSION = 1
ANSWER_POSITION = "the prompt's last token (its next-token distribution predicts the answer's first token)"


def versions() -> dict[str, str]:
    import torch
    import transformers

    from iitbench import __version__

    return {"iitbench": __version__, "torch": torch.__version__, "transformers": transformers.__version__,
            "numpy": np.__version__, "python": platform.python_version()}


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    import pandas as pd

    buf = io.StringIO()
    pd.DataFrame(rows, columns=columns).to_csv(buf, index=False, lineterminator="\n", float_format="%.10g")
    return buf.getvalue()


def _layers(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ok = {p: r for p, r in results.items() if r.get("status") == "ok"}
    lengths = [len(ok[CKA]["per_layer"]) if CKA in ok else 0, len(ok[WEIGHT_DRIFT]["per_layer"]) if
               WEIGHT_DRIFT in ok else 0, len(ok[MIXING]["per_layer"]["mean"]) if MIXING in ok else 0]
    n = max(lengths)
    blank = [None] * n
    cka = ok[CKA]["per_layer"] if CKA in ok else blank
    mixing = ok[MIXING]["per_layer"] if MIXING in ok else {"mean": blank, "lo": blank, "hi": blank}
    return {"n_layers": n, "cka": cka, "cka_drift": [None if v is None else 1.0 - v for v in cka],
            "weight_drift": ok[WEIGHT_DRIFT]["per_layer"] if WEIGHT_DRIFT in ok else blank,
            "mixing": mixing["mean"], "mixing_lo": mixing["lo"], "mixing_hi": mixing["hi"]}


def diagnose_json(results: dict[str, dict[str, Any]], request: dict[str, Any], predictors: tuple[str, ...]) -> dict:
    models: dict[str, Any] = {}
    prompt: dict[str, Any] = {}
    for r in results.values():
        for role, m in (r.get("models") or {}).items():
            models.setdefault(role, m)
        prompt = prompt or (r.get("prompt") or {})
    summary = {}
    for p in PREDICTORS:
        for key in SUMMARY_KEYS[p]:
            summary[key] = (results.get(p) or {}).get("summary", {}).get(key) or \
                {"value": None, "lo": None, "hi": None, "n": 0}
    text_result = results.get(OUTPUT_SHIFT) if (results.get(OUTPUT_SHIFT) or {}).get("status") == "ok" \
        else results.get(CKA)
    mixing = results.get(MIXING) or {}
    paths = request.get("paths") or {}
    data = {"text": {**(request.get("text") or {}), "path": paths.get("text"), "n_items": (text_result or {}).get("n_items"),
                     "skipped_image_items": (text_result or {}).get("skipped_image_items")},
            "iit": {**(request.get("iit") or {}), "path": paths.get("iit"), "n_dialogues": mixing.get("n_dialogues"),
                    "n_used": mixing.get("n_used")}}
    status = {p: {"status": results[p]["status"], "reason": results[p]["reason"], "file": f"{p}.json"}
              if p in results else {"status": "not requested", "reason": None, "file": None} for p in PREDICTORS}
    settings = {**prompt, "limit": request.get("limit"), "iit_limit": request.get("iit_limit"),
                "seed": request.get("seed"), "n_boot": request.get("n_boot"), "predictors": list(predictors),
                "answer_position": ANSWER_POSITION}
    return finite({"schema_version": SCHEMA_VERSION, "command": "iitbench diagnose", "models": models, "data": data,
                   "settings": settings, "summary": summary, "predictors": status, "layers": _layers(results),
                   "versions": versions()})


def write_outputs(out: Path, results: dict[str, dict[str, Any]], request: dict[str, Any],
                  predictors: tuple[str, ...]) -> dict[str, Any]:
    """Every assembled file; returns diagnose.json's content. diagnose.json is written last."""
    from iitbench.diagnose.plots import plot_diagnose

    summary = diagnose_json(results, request, predictors)
    layers = summary["layers"]
    ok = {p: r for p, r in results.items() if r.get("status") == "ok"}
    items = ok[OUTPUT_SHIFT]["items"] if OUTPUT_SHIFT in ok else []
    write_text(out / "items.csv", _csv(items, ["key", "kl", "kl_reverse", "js"]))
    names = ["cka", "cka_drift", "weight_drift", "mixing", "mixing_lo", "mixing_hi"]
    write_text(out / "layers.csv", _csv([{"layer": i, **{k: layers[k][i] for k in names}}
                                         for i in range(layers["n_layers"])], ["layer", *names]))
    params = ok[WEIGHT_DRIFT]["parameters"] if WEIGHT_DRIFT in ok else []
    write_text(out / "weight_drift.csv", _csv(params, ["name", "layer", "shape", "matrix", "base_norm", "diff_norm",
                                                       "relative"]))
    mix = ok[MIXING]["items"] if MIXING in ok else []
    write_text(out / "mixing_items.csv", _csv([{"key": m["key"], "layer": i, "cosine": c} for m in mix
                                               for i, c in enumerate(m["cosine"])], ["key", "layer", "cosine"]))

    def arr(values) -> np.ndarray:
        return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)

    arrays = {k: arr(layers[k]) for k in names}
    arrays.update({"kl": arr([r["kl"] for r in items]), "js": arr([r["js"] for r in items]),
                   "mixing_items": np.asarray([m["cosine"] for m in mix], dtype=np.float64).reshape(
                       len(mix), -1 if mix else 0)})
    write_npz(out / "diagnose.npz", arrays)
    plot_diagnose(summary, arrays, out / "diagnose.png")
    write_json(out / "diagnose.json", summary)
    return summary


__all__ = ["ANSWER_POSITION", "SCHEMA_VERSION", "diagnose_json", "versions", "write_outputs"]
