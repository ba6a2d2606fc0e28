"""results.json: assembled from the adapter's description, the dataset card, the settings, the metrics and the
provenance of the run, and written atomically (temp file + os.replace)."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import iitbench
from iitbench.data.manifest import Dataset
from iitbench.models.protocol import Adapter
from iitbench.runner.engine import RunSettings
from iitbench.schema import RESULTS_FILE, SCHEMA_VERSION, DataInfo, ResultsFile, Settings


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def git_hash() -> str | None:
    """The commit of the iitbench checkout, when iitbench runs from one (None for an installed wheel)."""
    root = Path(iitbench.__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def provenance(started: str, wall_s: float, computed: int) -> dict[str, Any]:
    return {
        "iitbench": iitbench.__version__,
        "torch": _version("torch"),
        "transformers": _version("transformers"),
        "python": platform.python_version(),
        "git": git_hash(),
        "platform": platform.platform(),
        "timings": {"wall_s": round(wall_s, 3), "turns_per_s": round(computed / wall_s, 2) if wall_s > 0 else None,
                    "computed": computed},
        "started": started,
        "finished": utc_now(),
    }


def data_info(dataset: Dataset, dataset_path: str | None, n_items: int) -> DataInfo:
    return {"name": dataset.card.name, "path": str(dataset_path if dataset_path is not None else dataset.root),
            "fingerprint": dataset.fingerprint, "n_items": n_items, "version": dataset.card.version}


def settings_info(settings: RunSettings) -> Settings:
    free = settings.mode == "free-running"
    return {"mode": settings.mode, "free_running_source": settings.free_running_source if free else None,
            "batch_size": settings.batch_size, "seed": settings.seed, "limit": settings.limit,
            "prompt_hash": settings.prompt_format.hash, "prompt_format": settings.prompt_format.to_json()}


def build_results(*, adapter: Adapter, model_spec: str, model_args: dict[str, Any], data: DataInfo,
                  settings: Settings, metrics: dict[str, Any], started: str, wall_s: float, computed: int,
                  chat_template: bool = True, extra_provenance: dict[str, Any] | None = None) -> ResultsFile:
    """results.json of any run (IIT datasets: `data_info` + `settings_info`; the lm-eval bridge its own parts).
    `chat_template=False` when the prompts were scored as raw text (no template hash to record)."""
    desc = adapter.describe()
    return {
        "schema_version": SCHEMA_VERSION,
        "model": {"name": model_spec, "args": dict(model_args), "fingerprint": desc.get("fingerprint") or adapter.fingerprint(),
                  "parameters": desc.get("parameters"), "dtype": desc.get("dtype"), "device": desc.get("device"),
                  "chat_template_hash": desc.get("chat_template_hash") if chat_template else None,
                  # where converted weights came from (a GGUF file: its name, sha256, quantisation, ...)
                  **({"gguf": desc["gguf"]} if desc.get("gguf") else {})},
        "data": data,
        "settings": settings,
        "metrics": metrics,  # type: ignore[typeddict-item]
        "provenance": {**provenance(started, wall_s, computed), **(extra_provenance or {})},  # type: ignore[typeddict-item]
    }


def write_results(run_dir: Path, results: ResultsFile) -> Path:
    path = Path(run_dir) / RESULTS_FILE
    tmp = path.with_name(RESULTS_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(results, indent=2, sort_keys=False, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path
