"""The sample browser's data: every scored item of the report's runs as its dialogue (from the run's dataset
directory) with each run's choice, log-likelihoods and replies, as one JSON object the page embeds.

Items are keyed by (dataset, id): runs over the same dataset (same fingerprint) share one entry, so a forgetting
pair's MLLM and base answers sit side by side. Identical turns (a question reused as context in several dialogues)
and identical images are stored once and referenced by index, which keeps a 10,000-item page small. A dataset
directory that is gone or unreadable is one note; its items are still listed from the records, without text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.data.manifest import ITEMS_FILE, fingerprint, iter_items
from iitbench.data.types import ImagePart, Item, Turn
from iitbench.errors import DataError
from iitbench.report.browser_images import ImageTable
from iitbench.report.doc import Browser, Para, Section
from iitbench.report.inputs import ReportInputs
from iitbench.run_files import read_records
from iitbench.schema import SAMPLES_FILE

LOGLIK_DIGITS = 3  # enough to see which option won; full precision would double the page


@dataclass(frozen=True)
class BrowserRun:
    label: str  # as the report's tables name it: "[1] model (mode)", "[F1] MLLM model"
    path: Path  # the run directory (holds samples.jsonl)
    results: dict[str, Any]


@dataclass(frozen=True)
class BrowserPair:
    """A forgetting directory's two runs: "forgotten" items are those the base got right and the MLLM wrong."""

    label: str
    mllm: int  # index into the runs
    base: int
    forgotten: int | None  # forgetting.json's comparison.overall.only_b_correct (B = base, A = MLLM)


def browser_runs(inputs: ReportInputs) -> tuple[tuple[BrowserRun, ...], tuple[BrowserPair, ...], tuple[str, ...]]:
    """The runs with sample records (report order; a run given twice is listed once), the forgetting pairs, notes."""
    runs: list[BrowserRun] = []
    index: dict[Path, int] = {}
    notes: list[str] = []

    def add(label: str, path: Path, results: dict[str, Any]) -> int | None:
        key = path.resolve()
        if key not in index:
            if not (path / SAMPLES_FILE).is_file():
                notes.append(f"{label}: no {SAMPLES_FILE} in {path}; its items are not in the browser.")
                return None
            index[key] = len(runs)
            runs.append(BrowserRun(label, path, results))
        return index[key]

    for i, run in enumerate(inputs.runs, 1):
        add(f"[{i}] {run.label}", run.path, run.results)
    pairs = []
    for i, fv in enumerate(inputs.forgetting, 1):
        models = fv.summary["models"]
        got = {role: add(f"[F{i}] {'MLLM' if role == 'mllm' else 'base'} {models[role].get('name', '?')}",
                         fv.path / role, fv.runs.get(role) or {"data": fv.summary.get("data") or {}})
               for role in ("mllm", "base") if (fv.path / role).is_dir()}
        if got.get("mllm") is not None and got.get("base") is not None:
            forgotten = (fv.summary["comparison"].get("overall") or {}).get("only_b_correct")
            pairs.append(BrowserPair(f"[F{i}] {fv.label}", got["mllm"], got["base"], forgotten))
    return tuple(runs), tuple(pairs), tuple(notes)


def _records(run: BrowserRun, notes: list[str]) -> list[dict[str, Any]]:
    try:
        return read_records(run.path / SAMPLES_FILE)
    except DataError as e:  # a damaged log in a forgetting dir should not cost the whole report
        notes.append(f"{run.label}: {e}; its items are not in the browser.")
        return []


def _num(x: Any) -> float | None:
    return round(float(x), LOGLIK_DIGITS) if isinstance(x, (int, float)) and math.isfinite(x) else None


def _int(x: Any) -> int | None:
    return x if isinstance(x, int) and not isinstance(x, bool) else None


def _str(x: Any) -> str | None:
    return None if x is None else str(x)


def _compact(rec: dict[str, Any]) -> list:
    """[turn, prediction, correct, logliks, reply, n/a reason]: a record as the page needs it. Values are typed
    here (a hand-edited log may hold NaN or strings where numbers belong), so the page's JSON is always valid."""
    correct = rec.get("correct")
    na = rec.get("status") != "ok"
    return [_int(rec["turn"]), _int(rec.get("prediction")), correct if isinstance(correct, bool) else None,
            [_num(x) for x in rec.get("loglik") or []], _str(rec.get("response")),
            (_str(rec.get("reason")) or "not applicable") if na else None]


@dataclass(frozen=True)
class _Dataset:
    name: str
    path: str
    items: dict[str, Item] | None  # None: directory missing or unreadable
    root: Path | None


def _load_dataset(data: dict[str, Any], labels: list[str], notes: list[str]) -> _Dataset:
    """The run's dataset directory, read leniently: a missing or broken one is one note, not an error."""
    path = str(data.get("path") or "")
    name = str(data.get("name") or "?")
    who = ", ".join(labels)
    root = Path(path) if path else None
    if root is None or not (root / ITEMS_FILE).is_file():
        notes.append(f"Dataset directory {path or '(not recorded)'} of {who} not found: its items are shown without "
                     f"their text and images.")
        return _Dataset(name, path, None, None)
    try:
        items = {it.id: it for it in iter_items(root / ITEMS_FILE)}
    except DataError as e:
        notes.append(f"{e}; the items of {who} are shown without their text and images.")
        return _Dataset(name, path, None, None)
    # the content hash the run recorded (items.jsonl and every image it names): a stale dataset.json cannot fool it
    if data.get("fingerprint") and fingerprint(root, items.values()) != data["fingerprint"]:
        notes.append(f"Dataset directory {path} changed since {who} ran (its fingerprint differs): item texts "
                     f"may not match the answers.")
    return _Dataset(name, path, items, root)


class _Tables:
    """Turns and images shared across items, each stored once."""

    def __init__(self) -> None:
        self.turns: list[dict[str, Any]] = []
        self._turn_ids: dict[str, int] = {}
        self.images = ImageTable()

    def turn(self, turn: Turn, root: Path, where: str) -> int:
        key = json.dumps(turn.to_json(), sort_keys=True, ensure_ascii=False)
        if key not in self._turn_ids:
            parts: list[list] = []
            for p in turn.parts:
                if isinstance(p, ImagePart):
                    got = self.images.add(root, p.path, where)
                    parts.append(["i", got] if isinstance(got, int) else ["x", got])  # x: why it is not shown
                else:
                    parts.append(["t", p.text])
            self._turn_ids[key] = len(self.turns)
            self.turns.append({"k": turn.kind, "s": turn.source, "p": parts, "c": list(turn.choices),
                               "a": turn.answer})
        return self._turn_ids[key]


def build_payload(runs: tuple[BrowserRun, ...], pairs: tuple[BrowserPair, ...],
                  notes: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON object the page embeds (see `browser.py` for how it is drawn)."""
    notes_out = list(notes)
    by_run = [_records(r, notes_out) for r in runs]
    # datasets in order of first use; runs over the same content share one
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(runs):
        data = r.results.get("data") or {}
        groups.setdefault(str(data.get("fingerprint") or data.get("path") or f"run {i}"), []).append(i)
    tables = _Tables()
    datasets, items = [], []
    for d, members in enumerate(groups.values()):
        ds = _load_dataset(runs[members[0]].results.get("data") or {}, [runs[i].label for i in members], notes_out)
        datasets.append({"name": ds.name, "path": ds.path, "ok": ds.items is not None})
        per_item: dict[str, list[list | None]] = {}
        scored: dict[str, dict[str, Any]] = {}
        for i in members:
            for rec in by_run[i]:
                if _int(rec["turn"]) is None or not isinstance(rec["id"], str):
                    continue  # not a record this page can place
                slot = per_item.setdefault(rec["id"], [None] * len(runs))
                slot[i] = (slot[i] or []) + [_compact(rec)]
                if rec.get("scored"):
                    scored.setdefault(rec["id"], rec)
        known = [k for k in (ds.items or {}) if k in scored]
        order = known + [k for k in scored if ds.items is None or k not in ds.items]
        unknown = len(order) - len(known)
        if ds.items is not None and unknown:
            notes_out.append(f"{unknown} scored item(s) of dataset {ds.path} are not in its {ITEMS_FILE} (changed "
                             f"since the run?): shown without their text.")
        for item_id in order:
            rec, item = scored[item_id], (ds.items or {}).get(item_id)
            turns = None if item is None or ds.root is None else [
                tables.turn(t, ds.root, f"{ds.path} (item {item_id!r} turn {j})") for j, t in enumerate(item.turns)]
            recs = [sorted(x, key=lambda c: c[0]) if x else None for x in per_item[item_id]]
            items.append({"id": item_id, "d": d, "c": str(rec["config"]), "s": str(rec["source"]), "t": rec["turn"],
                          "g": _int(rec["gold"]), "u": turns, "r": recs})
    return {"v": 1, "runs": [{"label": r.label, "path": str(r.path)} for r in runs],
            "pairs": [{"label": p.label, "a": p.mllm, "b": p.base, "forgotten": p.forgotten} for p in pairs],
            "datasets": datasets, "notes": notes_out, "turns": tables.turns, "images": tables.images.to_json(),
            "items": items}


def browser_section(inputs: ReportInputs) -> Section | None:
    """The "Sample browser" section, or None when no run has sample records. The data is built only if the HTML
    page is rendered (`Browser.payload`): thumbnails cost time a Markdown report need not spend."""
    runs, pairs, notes = browser_runs(inputs)
    if not runs:
        return None
    build: Callable[[], dict[str, Any]] = lambda: build_payload(runs, pairs, notes)  # noqa: E731
    return Section("Sample browser", "samples", (
        Para("Every scored item as its dialogue: turns in order, images (click to enlarge), the options, the gold "
             "answer and each run's choice with its log-likelihoods. Filter by config, source, outcome, or the "
             "items one run got wrong and another right (\"forgotten\": the MLLM of a forgetting directory wrong, "
             "its base right); search by id or text. The filters are kept in the page's address (#...), so a link "
             "reopens the same view."),
        Browser(build)))
