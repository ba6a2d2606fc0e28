"""What one evaluation measures, and the isolation that keeps it from touching training.

`isolated(model)` is the contract with the training run: every module's train/eval flag, gradient mode and the RNG
states the run can draw from (python `random`, numpy's global state, torch CPU and every initialised CUDA device) are
the same after the block as before it, so a run with the monitor draws the same dropout masks, shuffles and samples
as one without it and ends with bit-identical weights (tests/monitor checks this on a tiny wings-train run). The
probes never touch the optimizer, the scheduler, gradients or the dataloader.

Text accuracy is teacher-forced multiple choice exactly as the runner scores it (`runner.render` prompts,
`engine.make_record`: argmax of the candidates' log-likelihoods). The shift is LAWS' attention-shift score
(`laws.curves.shift_score`: mean over dialogues of 1 - Pearson over layers between the attention mass on the text
before and after the image) of the current model, from the same extraction `iitbench laws` uses.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from iitbench.data.types import Item
from iitbench.errors import ModelError
from iitbench.models.protocol import Adapter, ChoiceRequest
from iitbench.runner.engine import TurnTask, make_record
from iitbench.runner.render import PromptFormat, render


@contextlib.contextmanager
def isolated(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode, no autograd, and every RNG state saved and restored around the block."""
    modes = [(m, m.training) for m in model.modules()]  # per module: a frozen tower may sit in eval while training
    py_state, np_state, cpu_state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    # get_rng_state_all would initialise CUDA in a CPU run; an uninitialised device has no state to protect.
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for module, training in modes:
            module.training = training
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_rng_state(cpu_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)


@dataclass(frozen=True)
class TextScores:
    """Per-item outcome of the text probe, in probe order."""

    ids: tuple[str, ...]
    correct: tuple[bool, ...]
    predictions: tuple[int, ...]
    dropped: tuple[tuple[str, str], ...] = ()  # (item id, why) for items the model cannot take (baseline only)


def _task(item: Item, fmt: PromptFormat, root) -> TurnTask:
    turn = item.scored_turn
    gold = [fmt.context_answer(item.turns[j], item.turns[j].answer) for j in range(turn)]
    return TurnTask(item=item, turn=turn, messages=render(item, turn, root, fmt, gold),
                    choices=fmt.candidates_for(item.turns[turn]))


def score_text(adapter: Adapter, items: Sequence[Item], root, batch_size: int, lenient: bool = False) -> TextScores:
    """Teacher-forced accuracy per item. `lenient` (the baseline): an item the model cannot take (too long for its
    window, not applicable) is dropped with its reason instead of failing, so the probe is fixed once for all."""
    fmt = PromptFormat.for_candidates(adapter.capabilities.candidates)
    tasks = [_task(item, fmt, root) for item in items]
    dropped: list[tuple[str, str]] = []
    if lenient:
        kept = []
        for t in tasks:
            reason = adapter.accepts(t.messages)
            (kept.append(t) if reason is None else dropped.append((t.item.id, reason)))
        tasks = kept
    records = []
    for start in range(0, len(tasks), batch_size):
        batch = tasks[start:start + batch_size]
        try:
            results = adapter.score_choices([ChoiceRequest(t.key, t.messages, t.choices) for t in batch])
            records.extend(make_record(t, "teacher-forced", r, None) for t, r in zip(batch, results))
        except ModelError:
            if not lenient:
                raise
            for t in batch:  # one at a time: keep the items that fit, drop the others with the reason
                try:
                    records.append(make_record(t, "teacher-forced", adapter.score_choices(
                        [ChoiceRequest(t.key, t.messages, t.choices)])[0], None))
                except ModelError as e:
                    dropped.append((t.item.id, str(e)))
    return TextScores(ids=tuple(r["id"] for r in records), correct=tuple(bool(r["correct"]) for r in records),
                      predictions=tuple(int(r["prediction"]) for r in records), dropped=tuple(dropped))


@dataclass(frozen=True)
class Shift:
    """The LAWS attention-shift score of one model on the multimodal probe."""

    value: float | None  # None: no usable dialogue (see excluded)
    lo: float | None
    hi: float | None
    n_used: int
    n_undefined: int  # dialogues with a constant before/after curve (no Pearson)
    excluded: dict[str, int]  # reason -> count


def laws_shift(adapter: Adapter, items: Sequence[Item], root, batch_size: int, n_boot: int, seed: int) -> Shift:
    from types import SimpleNamespace

    from iitbench.api.laws import laws_requests
    from iitbench.laws.curves import shift_score
    from iitbench.laws.extract import attention_mass
    from iitbench.laws.protocol import LABEL_NAMES, LawsOptions
    from iitbench.laws.store import as_arrays

    requests = laws_requests(SimpleNamespace(items=list(items), root=root), None)
    arrays = as_arrays(attention_mass(adapter, requests, LawsOptions(batch_size=batch_size)))
    used = arrays["excluded"] == ""
    excluded: dict[str, int] = {}
    for reason in arrays["excluded"][~used]:
        excluded[str(reason)] = excluded.get(str(reason), 0) + 1
    if not used.any():
        return Shift(None, None, None, 0, 0, excluded)
    masses = arrays["masses"][used]
    est = shift_score(masses[:, LABEL_NAMES.index("before")], masses[:, LABEL_NAMES.index("after")], n_boot, seed)
    finite = np.isfinite(est.value)
    return Shift(float(est.value) if finite else None, float(est.lo) if finite else None,
                 float(est.hi) if finite else None, est.n, est.n_undefined, excluded)


__all__ = ["Shift", "TextScores", "isolated", "laws_shift", "score_text"]
