"""The tiny model zoo: training data, tokenizer, vision encoder and base LLM trained on IIT-synth's train split.

Everything here is deterministic by seed and runs on a laptop CPU in minutes (see `iitbench.zoo.train.train_zoo`).
Shipped weights live in `iitbench/zoo/weights/<name>/`, each with a `zoo_card.json`.

The adapters that serve the shipped models under plain names (`base-tiny`, `llava-tiny`, `wings-tiny`) are not here:
they live with every other built-in adapter in iitbench/models/zoo.py and are registered in iitbench/models/__init__.py,
so `--model wings-tiny` resolves like any model. They read WEIGHTS_DIR from this module, which therefore imports
nothing: the models package reaches only this constant, never the zoo's training code (which itself uses the models).
"""

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
CARD_FILE = "zoo_card.json"

__all__ = ["CARD_FILE", "WEIGHTS_DIR"]
