"""The tiny model zoo: training data, tokenizer, vision encoder and base LLM trained on IIT-synth's train split.

Everything here is deterministic by seed and runs on a laptop CPU in minutes (see `iitbench.zoo.train.train_zoo`).
Shipped weights live in `iitbench/zoo/weights/<name>/`, each with a `zoo_card.json`.
"""

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
CARD_FILE = "zoo_card.json"

__all__ = ["CARD_FILE", "WEIGHTS_DIR"]
