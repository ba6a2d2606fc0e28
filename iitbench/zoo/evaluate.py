"""Score a zoo model with the real pipeline: a built-in suite ("text" or "mm"), `hf-causal:DIR` or `wings:DIR`,
`iitbench.runner.run_dataset`.

Per-family accuracy comes from the run's samples (each item's scored turn carries its synth family as `subject`).
`evaluate_suite(..., items=True)` also returns the run's sample records (`records`), which `paired_vs_base` pairs
with base-tiny's through `metrics.forgetting.paired_forgetting` (what `iitbench forgetting` reports) for MLLM cards.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any


def evaluate_text_suite(model_dir: Path, seed: int = 0, run_dir: Path | None = None, limit: int | None = None,
                        batch_size: int = 32, adapter: str = "hf-causal") -> dict[str, Any]:
    """{"mean": accuracy over items, "families": {family: accuracy}, "n": items} on the test-split text suite.

    `adapter`: "hf-causal" for a text LLM, "wings" for a zoo MLLM (text-only input through the WINGS model)."""
    return evaluate_suite("text", model_dir, seed, run_dir, limit, batch_size, adapter)


def evaluate_mm_suite(model_dir: Path, seed: int = 0, run_dir: Path | None = None, limit: int | None = None,
                      batch_size: int = 32) -> dict[str, Any]:
    """The same summary on the "mm" suite (single-turn image questions, one per synth visual question) via `wings:`."""
    return evaluate_suite("mm", model_dir, seed, run_dir, limit, batch_size, "wings")


def evaluate_suite(suite: str, model_dir: Path, seed: int = 0, run_dir: Path | None = None, limit: int | None = None,
                   batch_size: int = 32, adapter: str = "hf-causal", items: bool = False) -> dict[str, Any]:
    """Run a built-in suite with the real runner and summarise accuracy per synth family (and, with `items`, the
    run's sample records under "records")."""
    from iitbench.data.manifest import load_dataset_dir
    from iitbench.datasets.suites import ensure_suite
    from iitbench.models import load_model
    from iitbench.runner import RunSettings, read_records, run_dataset
    from iitbench.runner.samplelog import SAMPLES_FILE

    suite_dir = ensure_suite(suite, seed=seed)
    dataset = load_dataset_dir(suite_dir)
    spec, args = f"{adapter}:{Path(model_dir).resolve()}", {"batch_size": batch_size}
    adapter = load_model(spec, args)
    from iitbench.zoo.corpus import FORMAT

    settings = RunSettings(mode="teacher-forced", batch_size=batch_size, limit=limit, seed=seed, prompt_format=FORMAT)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(run_dir) if run_dir is not None else Path(tmp) / "run"
        run_dataset(adapter, dataset, settings, out, model_spec=spec, model_args=args, dataset_path=str(suite_dir),
                    progress=False)
        records = read_records(out / SAMPLES_FILE)
    family_of = {it.id: it.turns[it.scored_turn].meta.get("subject", "?") for it in dataset.items}
    hits: dict[str, list[bool]] = defaultdict(list)
    for rec in records:
        hits[family_of[rec["id"]]].append(bool(rec["correct"]))
    families = {f: round(sum(v) / len(v), 4) for f, v in sorted(hits.items())}
    n = sum(len(v) for v in hits.values())
    mean = round(sum(sum(v) for v in hits.values()) / n, 4) if n else float("nan")
    summary = {"suite": suite, "suite_seed": seed, "n": n, "mean": mean, "families": families, "chance": 0.25}
    if items:
        summary["records"] = records
    return summary


def paired_vs_base(mllm_records: list[dict], base_records: list[dict], n_boot: int = 2000) -> dict[str, Any]:
    """MLLM - base over the items both scored (delta, paired bootstrap 95% CI, McNemar p, agreement), as
    `iitbench forgetting` computes it."""
    from iitbench.metrics.forgetting import paired_forgetting

    return paired_forgetting(mllm_records, base_records, n_boot=n_boot, seed=0)["overall"]


__all__ = ["evaluate_mm_suite", "evaluate_suite", "evaluate_text_suite", "paired_vs_base"]
