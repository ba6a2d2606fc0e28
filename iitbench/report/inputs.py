"""What a report reads: each directory's kind (IIT run, text forgetting, LAWS) detected from the files it holds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.errors import UserError
from iitbench.run_files import RunView, load_run
from iitbench.schema import RESULTS_FILE, RUN_FILE, SAMPLES_FILE

FORGETTING_FILE = "forgetting.json"
LAWS_FILE = "laws_summary.json"


@dataclass(frozen=True)
class ForgettingView:
    """One `iitbench forgetting` output directory; `runs` are its mllm/base results.json when present."""

    path: Path
    summary: dict[str, Any]
    runs: dict[str, dict[str, Any]]

    @property
    def label(self) -> str:
        m = self.summary["models"]
        return f"{m['mllm']['name']} vs {m['base']['name']}"


@dataclass(frozen=True)
class LawsView:
    """One `iitbench laws` output directory (its laws_summary.json)."""

    path: Path
    summary: dict[str, Any]

    @property
    def label(self) -> str:
        return str(self.summary["model"]["name"])


@dataclass(frozen=True)
class ReportInputs:
    runs: tuple[RunView, ...]
    forgetting: tuple[ForgettingView, ...]
    laws: tuple[LawsView, ...]
    diagnose: tuple = ()  # iitbench.report.diagnose.DiagnoseView, one per `iitbench diagnose` directory


def detect_kind(path: Path) -> str:
    """'run', 'forgetting' or 'laws'; a UserError naming the files looked for otherwise."""
    if not path.is_dir():
        raise UserError(f"{path}: not a run directory; pass a directory written by `iitbench run`, "
                        f"`iitbench forgetting` or `iitbench laws`")
    if (path / FORGETTING_FILE).is_file():
        return "forgetting"
    if (path / LAWS_FILE).is_file():
        return "laws"
    if (path / "diagnose.json").is_file():
        return "diagnose"
    if any((path / f).is_file() for f in (RESULTS_FILE, SAMPLES_FILE, RUN_FILE)):
        return "run"
    raise UserError(f"{path}: unknown kind of directory: neither {RESULTS_FILE} nor {SAMPLES_FILE} (a run), "
                    f"{FORGETTING_FILE} nor {LAWS_FILE}; pass a directory written by `iitbench run`, "
                    f"`iitbench forgetting` or `iitbench laws`")


def _read_json(path: Path, what: str, required: Sequence[str]) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror}); rerun `iitbench {what}` to rewrite it") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: malformed JSON ({e.msg}, line {e.lineno}); rerun `iitbench {what}` to rewrite "
                        f"it") from None
    missing = [k for k in required if not isinstance(data, dict) or k not in data]
    if missing:
        raise UserError(f"{path}: not an iitbench {what} file (no {', '.join(repr(k) for k in missing)}); rerun "
                        f"`iitbench {what}`")
    return data


def load_forgetting(path: Path) -> ForgettingView:
    summary = _read_json(path / FORGETTING_FILE, "forgetting", ("models", "comparison", "template"))
    runs = {}
    for role in ("mllm", "base"):  # the paired runs live beside forgetting.json; optional for the report
        res = path / role / RESULTS_FILE
        if res.is_file():
            try:
                runs[role] = json.loads(res.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                pass
    return ForgettingView(path=path, summary=summary, runs=runs)


def load_laws(path: Path) -> LawsView:
    return LawsView(path=path, summary=_read_json(path / LAWS_FILE, "laws",
                                                  ("model", "curves", "shift", "n_layers")))


def load_inputs(paths: Sequence[Path], recompute: bool = False) -> ReportInputs:
    """Load every directory by its kind, keeping the command-line order within each kind."""
    from iitbench.report.diagnose import load_diagnose

    runs, forgetting, laws, diagnose = [], [], [], []
    for p in map(Path, paths):
        kind = detect_kind(p)
        if kind == "run":
            runs.append(load_run(p, recompute=recompute))
        elif kind == "forgetting":
            forgetting.append(load_forgetting(p))
        elif kind == "diagnose":
            diagnose.append(load_diagnose(p))
        else:
            laws.append(load_laws(p))
    return ReportInputs(runs=tuple(runs), forgetting=tuple(forgetting), laws=tuple(laws), diagnose=tuple(diagnose))
