"""The scoring loops: teacher-forced (the scored turn of each item, gold context) and free-running (every turn, in
waves, the model's own answers as context). Requests are batched longest-first; records go to the sample log.

Free-running with `free_running_source="generate"`: each turn is scored *and* answered by `adapter.generate`; the
generated text (stripped) is the context answer later turns see, and the turn's prediction is the option it names
(`render.parse_choice`: a leading letter, or an option's exact text when candidates are texts); when the reply names
no option the prediction falls back to the argmax of the scores. A turn the model cannot take ("n/a") has no
answer of its own, so a later turn that is still applicable sees the gold answer there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from iitbench.data.types import Item
from iitbench.errors import ModelError, UserError
from iitbench.models.protocol import Adapter, ChoiceRequest, ChoiceResult, GenerateRequest, Message, TextScoreRequest
from iitbench.runner import cloze
from iitbench.runner.render import PromptFormat, parse_choice, render, rendered_length
from iitbench.runner.samplelog import RecordKey, SampleLog
from iitbench.schema import SampleRecord

MODES = ("teacher-forced", "free-running")
FREE_RUNNING_SOURCES = ("score", "generate")  # where free-running context answers come from


@dataclass(frozen=True)
class RunSettings:
    """How to run a dataset through a model (everything but the model and the data)."""

    mode: Literal["teacher-forced", "free-running"] = "teacher-forced"
    free_running_source: Literal["score", "generate"] = "score"
    batch_size: int = 8
    limit: int | None = None  # first N items per config, in dataset order
    seed: int = 0
    prompt_format: PromptFormat = field(default_factory=PromptFormat)

    def __post_init__(self) -> None:  # the one place these settings are checked (CLI, API, runner)
        if self.mode not in MODES:
            raise UserError(f"--mode {self.mode!r}: use one of {', '.join(MODES)}")
        if self.free_running_source not in FREE_RUNNING_SOURCES:
            raise UserError(f"--free-running-source {self.free_running_source!r}: use one of "
                            f"{', '.join(FREE_RUNNING_SOURCES)}")
        if not isinstance(self.batch_size, int) or isinstance(self.batch_size, bool) or self.batch_size < 1:
            raise UserError(f"--batch-size {self.batch_size}: must be at least 1")
        if self.limit is not None and (not isinstance(self.limit, int) or isinstance(self.limit, bool)
                                       or self.limit < 1):
            raise UserError(f"--limit {self.limit}: must be at least 1")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise UserError(f"--seed {self.seed!r}: give an integer")
        if self.prompt_format.is_cloze and self.mode == "free-running" and self.free_running_source == "generate":
            raise UserError("--candidates cloze scores options as raw-text continuations; free-running with "
                            "--free-running-source generate needs a chat prompt: use --candidates text or letter")


@dataclass(frozen=True)
class TurnTask:
    """One (item, turn) to compute, rendered."""

    item: Item
    turn: int
    messages: tuple[Message, ...]
    choices: tuple[str, ...]
    context: str | None = None  # the raw-text prompt when the format is cloze (`iitbench.runner.cloze`)

    @property
    def key(self) -> str:
        return f"{self.item.id}#{self.turn}"


def _argmax(values: Sequence[float]) -> int:
    best = 0
    for i in range(1, len(values)):
        if values[i] > values[best]:  # first index wins ties, whatever the batch
            best = i
    return best


def _norm_length(task: TurnTask, choice: str) -> int:
    # cloze follows lm-eval's acc_norm (characters); the chat formats keep their byte-length normalisation
    return cloze.norm_length(choice) if task.context is not None else max(1, len(choice.encode("utf-8")))


def make_record(task: TurnTask, mode: str, result: ChoiceResult | None, reason: str | None,
                prediction: int | None = None, response: str | None = None) -> SampleRecord:
    item, turn = task.item, task.turn
    gold = item.turns[turn].answer
    rec: SampleRecord = {"id": item.id, "config": item.config, "turn": turn, "scored": turn == item.scored_turn,
                           "position": item.position(turn), "source": item.turns[turn].source, "mode": mode,
                           "status": "n/a" if result is None else "ok", "reason": reason, "loglik": [], "n_tokens": [],
                           "prediction": None, "prediction_norm": None, "gold": gold, "correct": None,
                           "correct_norm": None, "response": response,
                           "subject": (item.turns[turn].meta or {}).get("subject"),
                           "category": (item.turns[turn].meta or {}).get("category")}
    if result is not None:
        ll = [float(x) for x in result.logliks]
        norm = [x / _norm_length(task, c) for x, c in zip(ll, task.choices)]
        pred = _argmax(ll) if prediction is None else prediction
        pred_norm = _argmax(norm)
        rec.update(loglik=ll, n_tokens=[int(n) for n in result.n_tokens], prediction=pred,
                   prediction_norm=pred_norm, correct=pred == gold, correct_norm=pred_norm == gold)
    return rec


class Engine:
    """Runs tasks through an adapter in batches and appends their records to the log."""

    def __init__(self, adapter: Adapter, root: Path, settings: RunSettings, log: SampleLog,
                 done: dict[RecordKey, SampleRecord], on_progress: Callable[[int], None] = lambda n: None):
        self.adapter = adapter
        self.root = Path(root)
        self.settings = settings
        self.fmt = settings.prompt_format
        self.log = log
        self.done = done  # (id, turn) -> record; grows as we go
        self.on_progress = on_progress
        self.computed = 0

    # --- the two modes -------------------------------------------------------------------------------------------
    def run(self, items: Sequence[Item]) -> None:
        if self.settings.mode == "teacher-forced":
            self._process([self._task(it, it.scored_turn, self._gold_answers(it, it.scored_turn))
                           for it in items if (it.id, it.scored_turn) not in self.done])
            return
        for k in range(max(len(it.turns) for it in items)):
            # Wave k needs the records of turns < k of every item, which earlier waves (or the log) hold.
            self._process([self._task(it, k, self._own_answers(it, k))
                           for it in items if len(it.turns) > k and (it.id, k) not in self.done])

    def _gold_answers(self, item: Item, turn: int) -> list[str]:
        return [self.fmt.context_answer(item.turns[j], item.turns[j].answer) for j in range(turn)]

    def _own_answers(self, item: Item, turn: int) -> list[str]:
        out = []
        for j in range(turn):
            response = self.done[(item.id, j)]["response"]
            out.append(self.fmt.context_answer(item.turns[j], item.turns[j].answer) if response is None else response)
        return out

    def _task(self, item: Item, turn: int, answers: list[str]) -> TurnTask:
        context = cloze.render_cloze(item, turn, answers) if self.fmt.is_cloze else None
        return TurnTask(item=item, turn=turn, messages=render(item, turn, self.root, self.fmt, answers),
                        choices=self.fmt.candidates_for(item.turns[turn]), context=context)

    def _score_cloze(self, batch: list[TurnTask]) -> list[ChoiceResult]:
        """Each option as the raw-text continuation of the task's context (`Adapter.score_text`)."""
        requests = [TextScoreRequest(key=f"{t.key}/{i}", context=t.context or "", continuation=cloze.TARGET_DELIMITER + c)
                    for t in batch for i, c in enumerate(t.choices)]
        try:
            scores = self.adapter.score_text(requests)
        except NotImplementedError:
            raise UserError(f"--candidates cloze: model {type(self.adapter).__name__} cannot score raw text; use "
                            "--candidates text or letter") from None
        if len(scores) != len(requests):
            raise ModelError(f"{type(self.adapter).__name__}.score_text returned {len(scores)} results for "
                             f"{len(requests)} requests")
        out, at = [], 0
        for t in batch:
            mine = scores[at:at + len(t.choices)]
            at += len(t.choices)
            out.append(ChoiceResult(logliks=tuple(s.loglik for s in mine), n_tokens=tuple(s.n_tokens for s in mine)))
        return out

    # --- batching ------------------------------------------------------------------------------------------------
    def _process(self, tasks: list[TurnTask]) -> None:
        mode = self.settings.mode
        na: list[SampleRecord] = []
        ready: list[TurnTask] = []
        for t in tasks:
            has_image = t.context is not None and any(m.images for m in t.messages)
            reason = cloze.TEXT_ONLY if has_image else self.adapter.accepts(t.messages)
            if reason is None:
                ready.append(t)
            else:
                na.append(make_record(t, mode, None, reason))
        self._commit(na)
        # Longest first: similar lengths share a batch (less padding) and an out-of-memory shows up at once.
        order = sorted(range(len(ready)), key=lambda i: (-rendered_length(ready[i].messages), i))
        bs = max(1, self.settings.batch_size)
        for start in range(0, len(order), bs):
            batch = [ready[i] for i in order[start:start + bs]]
            self._commit(self._score_batch(batch))

    def _commit(self, records: list[SampleRecord]) -> None:
        if not records:
            return
        self.log.append(records)
        for r in records:
            self.done[(r["id"], r["turn"])] = r
        self.computed += len(records)
        self.on_progress(len(records))

    def _score_batch(self, batch: list[TurnTask]) -> list[SampleRecord]:
        name = type(self.adapter).__name__
        if self.fmt.is_cloze:
            results = self._score_cloze(batch)
        else:
            requests = [ChoiceRequest(key=t.key, messages=t.messages, choices=t.choices) for t in batch]
            results = self.adapter.score_choices(requests)
        if len(results) != len(batch):
            raise ModelError(f"{name}.score_choices returned {len(results)} results for {len(batch)} requests")
        for t, r in zip(batch, results):
            if len(r.logliks) != len(t.choices) or len(r.n_tokens) != len(t.choices):
                raise ModelError(f"{name}.score_choices: {t.key} has {len(t.choices)} choices but "
                                 f"{len(r.logliks)} log-likelihoods / {len(r.n_tokens)} token counts")
        mode = self.settings.mode
        if mode == "teacher-forced":
            return [make_record(t, mode, r, None) for t, r in zip(batch, results)]
        if self.settings.free_running_source == "score":
            out = []
            for t, r in zip(batch, results):
                rec = make_record(t, mode, r, None)
                rec["response"] = self.fmt.context_answer(t.item.turns[t.turn], rec["prediction"])
                out.append(rec)
            return out
        texts = self.adapter.generate([GenerateRequest(key=t.key, messages=t.messages) for t in batch])
        if len(texts) != len(batch):
            raise ModelError(f"{name}.generate returned {len(texts)} results for {len(batch)} requests")
        out = []
        for t, r, g in zip(batch, results, texts):
            reply = g.text.strip()
            out.append(make_record(t, mode, r, None, prediction=parse_choice(reply, t.item.turns[t.turn], self.fmt),
                                   response=reply))
        return out
