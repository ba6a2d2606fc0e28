"""MLLM-LAWS (`iitbench laws`): one model's layer-wise attention curves and attention shift, and the comparison of
several models' shifts with their text forgetting.

One model: the scored turn of every item with an image (earlier turns answered with the gold answer) is rendered,
its tokens are split into text before / image / text after (plus other, between, marker), and the attention mass
each layer sends to each segment is extracted; OUTPUT/laws.npz, laws_summary.json and laws_curves.png/.svg are
written. Text-only items have no shift and are skipped (counted); `limit` counts the image dialogues.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iitbench.api.models import ModelLike, resolve_model, spec_of
from iitbench.api.results import LawsResults, ShiftComparison
from iitbench.api.suites import RUNS_ROOT, model_slug, resolve_suite
from iitbench.errors import DataError, UserError
from iitbench.runner.lock import locked
from iitbench.runner.outputs import check_output


def laws_requests(dataset, limit: int | None) -> list:
    """The LAWS request of every image dialogue of `dataset` (its scored turn, gold answers before it)."""
    from iitbench.laws.protocol import LawsRequest
    from iitbench.runner.render import PromptFormat, render

    fmt = PromptFormat()
    items = [item for item in dataset.items if item.has_image]
    items = items[:limit] if limit else items
    out = []
    for item in items:
        answers = [fmt.context_answer(item.turns[j], item.turns[j].answer) for j in range(item.scored_turn)]
        out.append(LawsRequest(key=f"{item.id}#{item.scored_turn}",
                               messages=render(item, item.scored_turn, dataset.root, fmt, answers)))
    return out


def _versions() -> dict[str, str]:
    import numpy
    import torch
    import transformers

    from iitbench import __version__

    return {"iitbench": __version__, "torch": torch.__version__, "transformers": transformers.__version__,
            "numpy": numpy.__version__, "python": platform.python_version()}


def attention_shift(model: ModelLike, data: str | Path = "iit", *, model_args: str | dict[str, Any] | None = None,
                    limit: int | None = None, head_reduction: str = "sum", per_query_norm: bool = False,
                    segments: str = "content", backend: str = "auto", batch_size: int = 1, seed: int = 0,
                    sinks: str = "include", queries: str = "all", reference_base: ModelLike | None = None,
                    reference_base_args: str | dict[str, Any] | None = None,
                    n_boot: int = 1000, device: str | None = None, output: str | Path | None = None) -> LawsResults:
    """LAWS curves and the attention-shift score of `model` over the image dialogues of `data` (a suite name or a
    dataset directory). head_reduction: sum | mean over heads; per_query_norm: divide each mass by the number of
    query tokens; segments: content (message text only) | all-text; backend: auto | eager (reference); sinks:
    include | exclude (attention-sink tokens, `iitbench.laws.protocol.SINK_SHARE`, leave their segment); queries:
    all (the paper's definition) | after-image (rows from the first V_after token) | answer (the prompt's last
    token), `iitbench.laws.protocol.QUERY_MODES`; reference_base: a text-only LLM (the model's base) run on the same
    dialogues without the image, its curves recorded next to the model's (`iitbench.laws.reference`)."""
    from iitbench.data.manifest import load_dataset_dir
    from iitbench.laws.extract import attention_mass
    from iitbench.laws.plots import plot_curves
    from iitbench.laws.protocol import QUERY_LABELS, LawsOptions
    from iitbench.laws.store import write_laws
    from iitbench.runner.render import PromptFormat

    if n_boot < 100:
        raise UserError(f"--n-boot {n_boot}: must be at least 100")
    if limit is not None and limit < 1:
        raise UserError(f"--limit {limit}: must be at least 1")
    if reference_base_args and reference_base is None:
        raise UserError("--reference-base-args needs --reference-base LLM")
    options = LawsOptions(head_reduction=head_reduction, per_query_norm=per_query_norm, segments=segments,
                          backend=backend, batch_size=batch_size, sinks=sinks, queries=queries)
    path = resolve_suite(data, seed)[0]
    out = check_output(Path(output) if output is not None else RUNS_ROOT / "laws" / model_slug(spec_of(model)), "laws")
    dataset = load_dataset_dir(path)
    requests = laws_requests(dataset, limit)
    # The reference first: a wrong --reference-base fails before the model's pass, and one model is loaded at a time.
    reference = None if reference_base is None else _reference(reference_base, reference_base_args, device,
                                                                 requests, options)
    resolved = resolve_model(model, model_args, device)
    results = attention_mass(resolved.adapter, requests, options)
    header = {
        "model": {"name": resolved.spec, "args": resolved.args, **resolved.adapter.describe()},
        "data": {"path": str(path), "name": dataset.card.name, "fingerprint": dataset.fingerprint,
                 "n": len(requests), "skipped_without_image": sum(not i.has_image for i in dataset.items)},
        "settings": {"head_reduction": options.head_reduction, "per_query_norm": options.per_query_norm,
                     "segments": options.segments, "backend": options.backend, "batch_size": options.batch_size,
                     "sinks": options.sinks, "queries": options.queries,
                     "reference_base": None if reference_base is None else spec_of(reference_base),
                     "n_boot": n_boot, "seed": seed, "prompt_hash": PromptFormat().hash},
        "variant": options.variant, "queries_label": QUERY_LABELS[options.queries],
        "versions": _versions(),
    }
    with locked(out):
        if reference is not None:
            from iitbench.laws.reference import reference_summary

            header["reference"] = reference_summary(out, results, reference[1], reference[0], n_boot, seed)
        summary = write_laws(out, results, header, n_boot, seed)
        plot_curves(summary, out / "laws_curves")
    return LawsResults(out, summary)


def _reference(base: ModelLike, base_args, device, requests, options) -> tuple[dict[str, Any], list]:
    """(the base's model record, its results on `requests`); the base is freed before the model loads."""
    import gc

    from iitbench.laws.extract import attention_mass
    from iitbench.laws.reference import check_text_only

    ref = resolve_model(base, base_args, device)
    check_text_only(ref.adapter, ref.spec)
    record = {"name": ref.spec, "args": ref.args, **ref.adapter.describe()}
    results = attention_mass(ref.adapter, requests, options)
    del ref
    gc.collect()
    return record, results


def _delta(directory: str | Path) -> float:
    path = Path(directory) / "forgetting.json"
    try:
        return float(json.loads(path.read_text(encoding="utf-8"))["comparison"]["overall"]["delta"])
    except (OSError, ValueError, KeyError, TypeError):
        raise DataError(f"{path}: no comparison.overall.delta; run `iitbench forgetting` first") from None


def compare_shifts(laws_dirs: Sequence[str | Path], output: str | Path, *,
                   forgetting_dirs: Sequence[str | Path] | None = None, n_boot: int = 1000,
                   seed: int = 0) -> ShiftComparison:
    """Overlay the curves of several `attention_shift` outputs and plot their shifts; with one forgetting
    directory per model (same order), plot shift against the text delta with Pearson r and its bootstrap CI."""
    from iitbench.laws.curves import correlation
    from iitbench.laws.plots import plot_compare, plot_shift_vs_forgetting
    from iitbench.laws.store import read_summary

    if n_boot < 100:
        raise UserError(f"--n-boot {n_boot}: must be at least 100")
    if forgetting_dirs and len(forgetting_dirs) != len(laws_dirs):
        raise UserError(f"--forgetting: give one directory per --compare directory ({len(laws_dirs)}), "
                        f"got {len(forgetting_dirs)}")
    out = check_output(output, "compare")
    summaries = [read_summary(Path(d)) for d in laws_dirs]
    names = [s["model"]["name"] for s in summaries]
    plot_compare(summaries, names, out / "laws_compare")
    report: dict[str, Any] = {"models": [{"name": n, "dir": str(d), "shift": s["shift"], "settings": s["settings"]}
                                         for n, d, s in zip(names, laws_dirs, summaries)]}
    if forgetting_dirs:
        deltas = [_delta(d) for d in forgetting_dirs]
        shifts = [s["shift"]["value"] for s in summaries]
        corr = correlation(shifts, deltas, n_boot=n_boot, seed=seed).to_json() if len(shifts) >= 3 else None
        plot_shift_vs_forgetting(shifts, deltas, names, corr, out / "laws_shift_vs_forgetting")
        report["forgetting"] = {"dirs": [str(d) for d in forgetting_dirs], "deltas": deltas, "pearson": corr}
    (out / "laws_compare.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return ShiftComparison(out, report)


__all__ = ["attention_shift", "compare_shifts", "laws_requests"]
