"""The LM head on answer positions only (`answer_logits_only: true`): the same loss, fewer FLOPs.

The loss reads the logits of positions whose next token is an answer token (labels[:, p + 1] != -100); every other
position's logits are computed and thrown away. With a small LLM and a large vocabulary that waste is large: the head
of SmolLM2-135M (49,152 x 576) is about a fifth of its forward FLOPs, and answers are a few tokens of a ~200-token
sample. `AnswerHead` is a forward pre-hook on the model's output embedding that keeps only the positions chosen for
the current step (the union over the batch's rows, so one index serves every row; another row's non-answer position
in that union has label -100 and is ignored). The model's own forward is unchanged and stays the one the Trainer
wraps (DDP, accelerate), so gradients synchronise as usual; outside a training step (evaluation, callbacks) the hook
keeps every position.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F

from .data import IGNORE_INDEX


def answer_positions(labels: torch.Tensor) -> torch.Tensor:
    """Positions p (0 .. L-2) whose next token is an answer token in at least one row, ascending."""
    return (labels[:, 1:] != IGNORE_INDEX).any(dim=0).nonzero().squeeze(1)


class AnswerHead:
    """Forward pre-hook on `lm_head`: while `selecting(labels)` is active, the head sees only the answer positions."""

    def __init__(self, lm_head: torch.nn.Module):
        self.keep: torch.Tensor | None = None
        self.handle = lm_head.register_forward_pre_hook(self._select)

    def _select(self, module, args):
        if self.keep is None:
            return None
        hidden = args[0]
        return (hidden.index_select(1, self.keep.to(hidden.device)),) + tuple(args[1:])

    @contextmanager
    def selecting(self, labels: torch.Tensor):
        self.keep = answer_positions(labels)
        try:
            yield self.keep
        finally:
            self.keep = None

    def remove(self) -> None:
        self.handle.remove()


def loss_at(logits: torch.Tensor, labels: torch.Tensor, keep: torch.Tensor, num_items_in_batch=None) -> torch.Tensor:
    """`answer_token_loss` for logits computed at `keep` only: [B, len(keep), V] against labels[:, keep + 1]."""
    target = labels[:, keep.to(labels.device) + 1].to(logits.device)
    total = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), target.reshape(-1),
                            ignore_index=IGNORE_INDEX, reduction="sum")
    count = (target != IGNORE_INDEX).sum() if num_items_in_batch is None else num_items_in_batch
    return total / count


__all__ = ["AnswerHead", "answer_positions", "loss_at"]
