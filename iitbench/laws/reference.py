"""Reference curves (`--reference-base LLM`): the model's base LLM on the same dialogues, without the image.

A text-only LLM renders only each dialogue's text (`hf-causal` leaves image parts out of the prompt), and its V_before
and V_after are the same content spans as the MLLM's, split where the image stood (`iitbench.laws.hf_inputs`); it
has no image segment, and `--queries after-image` starts at the same first V_after token. Under the same options its
curves and shift show what LAWS gives with no image and no multimodal training at all: under the paper's definition
the blind spot (README, "MLLM-LAWS and the attention shift") is there too, so the part of a model's shift that its
base also has is not what multimodal training did. Written next to the MLLM's results: laws_reference.npz (laws.npz's
schema) and laws_summary.json["reference"] (model, curves, shift, and `shift_difference`: the MLLM's shift minus the
base's, paired by sample, with a bootstrap 95% CI).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from iitbench.errors import UserError
from iitbench.laws.curves import paired_shift_difference
from iitbench.laws.protocol import LABEL_NAMES, LawsResult
from iitbench.laws.store import as_arrays, summarise

REFERENCE_NPZ = "laws_reference.npz"


def check_text_only(adapter, name: str) -> None:
    """The reference must not see the image: an adapter that takes images would (one-line error, exit 2)."""
    if adapter.capabilities.images:
        raise UserError(f"--reference-base {name}: this model takes images, and the reference is the base LLM without "
                        f"the image; give a text-only LLM (e.g. base-tiny, hf-causal:DIR)")


def reference_summary(out: Path, model_results: Sequence[LawsResult], reference_results: Sequence[LawsResult],
                      model: dict[str, Any], n_boot: int, seed: int) -> dict[str, Any]:
    """Write laws_reference.npz into `out`; returns laws_summary.json's `reference` entry."""
    mine, ref = as_arrays(model_results), as_arrays(reference_results)
    if list(mine["keys"]) != list(ref["keys"]):
        raise ValueError("the reference must be computed on the model's requests, in the same order")
    summary = summarise(ref, n_boot, seed)
    both = (mine["excluded"] == "") & (ref["excluded"] == "")
    b, a = LABEL_NAMES.index("before"), LABEL_NAMES.index("after")
    difference = paired_shift_difference(mine["masses"][both, b], mine["masses"][both, a], ref["masses"][both, b],
                                         ref["masses"][both, a], n_boot, seed)
    with open(out / REFERENCE_NPZ, "wb") as f:
        np.savez_compressed(f, **ref)
    return {"model": model, "file": REFERENCE_NPZ, **summary, "shift_difference": difference.to_json(),
            "what": "the base LLM on the same dialogues, text only (no image tokens; V_before / V_after are the same "
                    "content spans); shift_difference = the model's shift minus this one, paired by sample"}
