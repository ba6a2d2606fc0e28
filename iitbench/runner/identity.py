"""`run.json`: what a run directory holds, so a rerun resumes the same run and never mixes two.

Written when a run starts. Rerunning with the same `--output` and the same identity resumes; any difference
(model, its arguments or weights, dataset content, mode, prompt, free-running source, seed) is refused.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.errors import UserError
from iitbench.schema import RUN_FILE, SAMPLES_FILE


@dataclass(frozen=True)
class RunIdentity:
    """Everything that changes the scores of a run (batch size and --limit do not)."""

    model: str
    model_args: dict[str, Any]
    model_fingerprint: str
    dataset_fingerprint: str
    mode: str
    prompt_hash: str
    free_running_source: str | None  # None in teacher-forced mode, where it plays no part
    seed: int

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _describe(ident: dict[str, Any], dataset_name: str) -> str:
    return (f"model {ident.get('model')!r} on dataset {dataset_name!r} (fingerprint "
            f"{str(ident.get('dataset_fingerprint'))[:12]}, mode {ident.get('mode')})")


def claim_run_dir(run_dir: Path, identity: RunIdentity, dataset_name: str) -> bool:
    """Create or reopen `run_dir` for `identity`; True when resuming. Raises UserError on a different run."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"--output {run_dir}: exists and is not a directory; choose another --output")
    path = run_dir / RUN_FILE
    want = json.loads(json.dumps(identity.to_json(), default=str))  # normalise as it reads back from disk
    if path.is_file():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            have = raw["identity"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(f"{path}: unreadable run identity; delete {run_dir} or use another --output") from None
        if have != want:
            diff = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
            raise UserError(f"{run_dir} holds a run of {_describe(have, raw.get('dataset_name', '?'))}; "
                            f"this run differs in {', '.join(diff)}; use another --output")
        return True
    if (run_dir / SAMPLES_FILE).exists():
        raise UserError(f"{run_dir} holds samples but no {RUN_FILE}; delete it or use another --output")
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(RUN_FILE + ".tmp")
    tmp.write_text(json.dumps({"identity": want, "dataset_name": dataset_name}, indent=2, sort_keys=True) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)
    return False
