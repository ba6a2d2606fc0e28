"""wings_ref: a readable reference implementation of WINGS (NeurIPS 2024) on HF transformers."""

from .configuration_wings import WingsConfig
from .modeling_wings import LoRRA, Router, WingsForConditionalGeneration, WingsModel, WingsPreTrainedModel

__all__ = ["WingsConfig", "LoRRA", "Router", "WingsModel", "WingsForConditionalGeneration", "WingsPreTrainedModel"]
