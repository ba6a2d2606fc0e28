"""`DiagnoseResults`: what `iitbench.api.diagnose` returns, readable back from an output directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iitbench.diagnose.files import read_json
from iitbench.diagnose.options import CKA, MIXING, OUTPUT_SHIFT, PREDICTORS, WEIGHT_DRIFT
from iitbench.errors import DataError, UserError

LABELS = {OUTPUT_SHIFT: "the output-distribution shift (KL/JS)", CKA: "the hidden-state CKA per layer",
          WEIGHT_DRIFT: "the weight drift", MIXING: "the text-image mixing"}
LEVELS = ("summary", "layers", "items", "mixing", "weights")


def refusal_line(predictor: str, reason: str) -> str:
    return f"cannot compute {LABELS[predictor]} ({predictor}) for this pair: {reason}"


@dataclass(frozen=True)
class DiagnoseResults:
    """One `iitbench diagnose` output directory: diagnose.json (schema: `iitbench.diagnose.assemble`) and the
    predictor files behind it."""

    out_dir: Path
    summary: dict[str, Any]
    computed: tuple[str, ...] = ()  # predictors computed by the call that returned this (empty when read back)
    seconds: float | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, out_dir: str | Path) -> DiagnoseResults:
        out_dir = Path(out_dir)
        summary = read_json(out_dir / "diagnose.json")
        if summary is None or "summary" not in summary:
            raise DataError(f"{out_dir / 'diagnose.json'}: missing or not a diagnose summary; run `iitbench "
                            f"diagnose` first")
        return cls(out_dir=out_dir, summary=summary)

    @property
    def refusals(self) -> dict[str, str]:
        """predictor -> why it cannot be computed for this pair."""
        return {p: s["reason"] for p, s in self.summary["predictors"].items() if s["status"] == "not computable"}

    def value(self, key: str) -> float | None:
        """A summary scalar, e.g. value("kl_mean")."""
        if key not in self.summary["summary"]:
            raise UserError(f"value({key!r}): use one of {', '.join(self.summary['summary'])}")
        return self.summary["summary"][key]["value"]

    def predictor(self, name: str) -> dict[str, Any]:
        if name not in self._cache:
            found = read_json(self.out_dir / f"{name}.json")
            self._cache[name] = found if found is not None and found.get("status") == "ok" else {}
        return self._cache[name]

    def to_pandas(self, level: str = "summary"):
        """summary: one row per scalar (value, 95% CI, n, predictor, status); layers: one row per decoder layer;
        items: per text item KL / reverse KL / JS; mixing: per dialogue and layer; weights: per compared parameter."""
        import pandas as pd

        if level not in LEVELS:
            raise UserError(f"to_pandas(level={level!r}): use one of {', '.join(LEVELS)}")
        if level == "summary":
            from iitbench.diagnose.finish import SUMMARY_KEYS

            rows = [{"predictor": p, "key": k, **self.summary["summary"][k],
                     "status": self.summary["predictors"][p]["status"]}
                    for p in PREDICTORS for k in SUMMARY_KEYS[p]]
            return pd.DataFrame(rows, columns=["predictor", "key", "value", "lo", "hi", "n", "status"])
        if level == "layers":
            layers = self.summary["layers"]
            names = ["cka", "cka_drift", "weight_drift", "mixing", "mixing_lo", "mixing_hi"]
            return pd.DataFrame([{"layer": i, **{k: layers[k][i] for k in names}} for i in range(layers["n_layers"])],
                                columns=["layer", *names])
        if level == "items":
            return pd.DataFrame(self.predictor(OUTPUT_SHIFT).get("items", []), columns=["key", "kl", "kl_reverse", "js"])
        if level == "mixing":
            rows = [{"key": m["key"], "layer": i, "cosine": c} for m in self.predictor(MIXING).get("items", [])
                    for i, c in enumerate(m["cosine"])]
            return pd.DataFrame(rows, columns=["key", "layer", "cosine"])
        return pd.DataFrame(self.predictor(WEIGHT_DRIFT).get("parameters", []),
                            columns=["name", "layer", "shape", "matrix", "base_norm", "diff_norm", "relative"])


__all__ = ["LABELS", "LEVELS", "DiagnoseResults", "refusal_line"]
