"""Score a zoo LLM with the real pipeline: the built-in "text" suite, `hf-causal:DIR`, `iitbench.runner.run_dataset`.

Per-family accuracy comes from the run's samples (each item's scored turn carries its synth family as `subject`).
Length-normalised accuracy is not needed here: the candidates are single letters of equal length.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any


def evaluate_text_suite(model_dir: Path, seed: int = 0, run_dir: Path | None = None, limit: int | None = None,
                        batch_size: int = 32) -> dict[str, Any]:
    """{"mean": accuracy over items, "families": {family: accuracy}, "n": items} on the test-split text suite."""
    from iitbench.build.suites import ensure_suite
    from iitbench.data.manifest import load_dataset_dir
    from iitbench.models import load_model
    from iitbench.runner import RunSettings, read_records, run_dataset
    from iitbench.runner.samplelog import SAMPLES_FILE

    suite = ensure_suite("text", seed=seed)
    dataset = load_dataset_dir(suite)
    spec, args = f"hf-causal:{Path(model_dir).resolve()}", {"batch_size": batch_size}
    adapter = load_model(spec, args)
    settings = RunSettings(mode="teacher-forced", batch_size=batch_size, limit=limit, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(run_dir) if run_dir is not None else Path(tmp) / "run"
        run_dataset(adapter, dataset, settings, out, model_spec=spec, model_args=args, dataset_path=str(suite),
                    progress=False)
        records = read_records(out / SAMPLES_FILE)
    family_of = {it.id: it.turns[it.scored_turn].meta.get("subject", "?") for it in dataset.items}
    hits: dict[str, list[bool]] = defaultdict(list)
    for rec in records:
        hits[family_of[rec["id"]]].append(bool(rec["correct"]))
    families = {f: round(sum(v) / len(v), 4) for f, v in sorted(hits.items())}
    n = sum(len(v) for v in hits.values())
    mean = round(sum(sum(v) for v in hits.values()) / n, 4) if n else float("nan")
    return {"suite": "text", "suite_seed": seed, "n": n, "mean": mean, "families": families,
            "chance": 0.25}


__all__ = ["evaluate_text_suite"]
