"""`zoo_card.json`: what built a zoo model (recipe, its hash, seed, data sizes), how long it took and how it scored."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

from iitbench.zoo import CARD_FILE
from iitbench.zoo.recipes import recipe_dict, recipe_hash


def versions() -> dict[str, str]:
    import tokenizers
    import torch
    import transformers

    from iitbench import __version__
    from iitbench.sources.synth import VERSION

    return {"iitbench": __version__, "synth": VERSION, "torch": torch.__version__,
            "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "python": platform.python_version()}


def write_card(out: Path, *, recipe: Any, seed: int, train_seconds: float, parameters: int | None,
               data: dict[str, Any], evaluation: dict[str, Any], extra: dict[str, Any] | None = None) -> Path:
    card = {
        "name": recipe.name,
        "recipe": recipe_dict(recipe),
        "recipe_hash": recipe_hash(recipe),
        "seed": seed,
        "train_seconds": round(train_seconds, 1),
        "parameters": parameters,
        "data": data,
        "eval": evaluation,
        "versions": versions(),
        **(extra or {}),
    }
    path = Path(out) / CARD_FILE
    path.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_card(model_dir: Path) -> dict[str, Any]:
    return json.loads((Path(model_dir) / CARD_FILE).read_text(encoding="utf-8"))


__all__ = ["read_card", "versions", "write_card"]
