"""Reference masses for the LAWS tests, computed independently of iitbench.laws' extraction code."""

from __future__ import annotations

import torch

from iitbench.data.types import TextPart
from iitbench.laws.protocol import LABEL_NAMES, LawsRequest
from iitbench.models import ImageRef, Message


def user(*parts) -> Message:
    return Message(role="user", parts=tuple(TextPart(p) if isinstance(p, str) else p for p in parts))


def two_requests(root) -> list[LawsRequest]:
    """Two samples of different lengths (so a batch of 2 is padded), text on both sides of the image."""
    img = ImageRef(root, "red.png")
    return [LawsRequest("short", (user("What is this?", img, "One word."),)),
            LawsRequest("long", (user("Hello there, look at this picture", img, "Name the colour of it, please, in "
                                      "a single word, then stop."),
                                 Message(role="assistant", parts=(TextPart("red"),)), user("And the shape?")))]


def masses_from_weights(layers, labels, first_query: int = 0) -> torch.Tensor:
    """[K, L] masses from per-layer [H, S, S] (or head-summed [S, S]) attention weights of one unpadded sample,
    summing the query rows from `first_query` on."""
    lab = torch.tensor(labels)
    out = torch.zeros(len(LABEL_NAMES), len(layers), dtype=torch.float64)
    for layer, w in enumerate(layers):
        w = w.double()
        col = (w.sum(0) if w.dim() == 3 else w)[first_query:].sum(0)  # heads, then queries
        for k in range(len(LABEL_NAMES)):
            out[k, layer] = col[lab == k].sum()
    return out
