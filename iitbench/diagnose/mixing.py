"""Text-image representation mixing per layer, on IIT dialogues with images (the MLLM alone).

Per dialogue and decoder layer l: the mean hidden state of its image tokens, m_img, and the mean hidden state of
its content-text tokens (message text before, between and after the images; template and marker tokens left out),
m_txt, and their cosine similarity

    mixing_l = cos(m_img, m_txt)  in [-1, 1]

High values mean the image tokens have become like the text tokens (or the reverse) at that depth. Tokens are
labelled by `iitbench.laws`' segment preparation (token ids and the tokenizer's offsets, never re-tokenised
prefixes), so a dialogue counts when it has image tokens and content text whatever side the text is on; others are
excluded with a reason. `mixing_mean` averages each dialogue's layers, `mixing_early_mean` its first third of layers
(ceil(L/3)), where mixing is thought to matter most; both with bootstrap CIs over dialogues.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from iitbench.diagnose.access import LayerTap
from iitbench.diagnose.files import WorkStore
from iitbench.diagnose.options import CHUNK_ITEMS, NotComputable


def _prepare(adapter, family: str, requests) -> list:
    from iitbench.laws.hf_inputs import prepare_vlm
    from iitbench.laws.protocol import LawsOptions
    from iitbench.laws.wings_backend import prepare_wings

    if family == "causal":
        raise NotComputable("the MLLM is a text-only model (it takes no images)")
    prepare = prepare_wings if family == "wings" else prepare_vlm
    return prepare(adapter, requests, LawsOptions())


def _reason(prepared, window: int | None) -> str | None:
    """Why a prepared dialogue cannot give a mixing value (None: it can)."""
    from iitbench.laws.protocol import AFTER, BEFORE, BETWEEN, IMAGE

    labels = prepared.segments.labels
    if not labels:
        return prepared.segments.excluded or "not tokenised"
    if window is not None and len(prepared.ids) > window:
        return f"{len(prepared.ids)} tokens exceed the model window of {window}"
    if IMAGE not in labels:
        return "no image token"
    if not any(lab in (BEFORE, AFTER, BETWEEN) for lab in labels):
        return prepared.segments.excluded or "no content text located"
    return None


def _inputs(adapter, family: str, rows) -> dict:
    from iitbench.laws.hf_inputs import vlm_inputs
    from iitbench.laws.wings_backend import wings_inputs

    return (wings_inputs if family == "wings" else vlm_inputs)(adapter, rows)


def _cosines(adapter, family: str, rows, n_layers: int) -> np.ndarray:
    """[len(rows), L] cosine of the mean image and mean content-text states, per layer."""
    from iitbench.laws.protocol import AFTER, BEFORE, BETWEEN, IMAGE

    inputs = _inputs(adapter, family, rows)
    width = int(inputs["input_ids"].shape[1])
    image = torch.zeros(len(rows), width)
    text = torch.zeros(len(rows), width)
    for b, row in enumerate(rows):
        labels = torch.tensor(row.segments.labels)
        image[b, :len(labels)] = (labels == IMAGE).float()
        text[b, :len(labels)] = ((labels == BEFORE) | (labels == AFTER) | (labels == BETWEEN)).float()
    image, text = image / image.sum(1, keepdim=True), text / text.sum(1, keepdim=True)  # mean weights
    out = np.zeros((len(rows), n_layers))

    def reduce(layer: int, hidden: torch.Tensor) -> None:
        h = hidden.float()
        m_img = torch.bmm(image.to(h.device)[:, None, :], h)[:, 0].double()
        m_txt = torch.bmm(text.to(h.device)[:, None, :], h)[:, 0].double()
        out[:, layer] = torch.nn.functional.cosine_similarity(m_img, m_txt, dim=1, eps=1e-30).cpu().numpy()

    with torch.inference_mode(), LayerTap(adapter.model, reduce) as tap:
        adapter.model(**inputs)
    tap.check()
    return out


def run_mixing_pass(adapter, family: str, requests: Sequence, n_layers: int, store: WorkStore, batch_size: int,
                    bar=None) -> None:
    """Per-dialogue, per-layer cosines into `store`, chunk by chunk (done chunks skipped)."""
    for index in range(0, len(requests), CHUNK_ITEMS):
        chunk = list(requests[index:index + CHUNK_ITEMS])
        keys = [r.key for r in chunk]
        if store.done(index // CHUNK_ITEMS, keys, {"cosine"}):
            if bar is not None:
                bar.update(len(chunk))
            continue
        prepared = _prepare(adapter, family, chunk)
        reasons = [_reason(p, getattr(adapter, "window", None)) for p in prepared]
        cos = np.full((len(chunk), n_layers), np.nan)
        usable = sorted((i for i, r in enumerate(reasons) if r is None), key=lambda i: (-len(prepared[i].ids), i))
        for start in range(0, len(usable), batch_size):
            where = usable[start:start + batch_size]
            cos[where] = _cosines(adapter, family, [prepared[i] for i in where], n_layers)
            if bar is not None:
                bar.update(len(where))
        if bar is not None:
            bar.update(len(chunk) - len(usable))
        store.write(index // CHUNK_ITEMS, keys, {"cosine": cos}, {"excluded": reasons})


def read_mixing(store: WorkStore, requests: Sequence, n_layers: int) -> tuple[list[str], np.ndarray, dict[str, int]]:
    """(keys of the usable dialogues, their [n, L] cosines, exclusion reasons with counts)."""
    keys, rows, reasons = [], [], {}
    for index in range(0, len(requests), CHUNK_ITEMS):
        meta = store.meta(index // CHUNK_ITEMS) or {}
        cos = store.array(index // CHUNK_ITEMS, "cosine")
        for i, (key, why) in enumerate(zip(meta["keys"], meta["excluded"])):
            if why is None:
                keys.append(key)
                rows.append(np.asarray(cos[i], dtype=np.float64))
            else:
                reasons[why] = reasons.get(why, 0) + 1
    return keys, np.asarray(rows, dtype=np.float64).reshape(len(rows), n_layers), reasons


def early_layers(n_layers: int) -> int:
    return -(-n_layers // 3)


__all__ = ["early_layers", "read_mixing", "run_mixing_pass"]
