"""wings_ref: a readable reference implementation of WINGS (NeurIPS 2024) on HF transformers."""

from .configuration_wings import WingsConfig
from .modeling_wings import LoRRA, Router, WingsForConditionalGeneration, WingsModel, WingsPreTrainedModel

__all__ = ["WingsConfig", "LoRRA", "Router", "WingsModel", "WingsForConditionalGeneration", "WingsPreTrainedModel"]

# Register the config so Auto* loaders (e.g. AutoTokenizer next to a WINGS config.json) recognise the model type.
from transformers import AutoConfig as _AutoConfig  # noqa: E402

_AutoConfig.register("wings", WingsConfig, exist_ok=True)
