"""WingsConfig: one HF config for the WINGS model (LLM + SigLIP tower + projector + learners + router).

The text backbone is any config whose `model_type` is in `SUPPORTED_TEXT_MODELS` ("qwen2" also serves Qwen1.5).
Everything WINGS adds is a flat field here, so `save_pretrained`/`from_pretrained` round-trip it as JSON.
"""

from __future__ import annotations

from typing import Literal

from transformers import AutoConfig, PreTrainedConfig, SiglipVisionConfig
from transformers.configuration_utils import SubConfigSpec

SUPPORTED_TEXT_MODELS = ("qwen2", "llama")
MODES = ("clean", "official")

# SigLIP-so400m-patch14-384, the tower of the released Wings-Qwen1_5-8B.
_SO400M = {
    "hidden_size": 1152,
    "intermediate_size": 4304,
    "num_hidden_layers": 27,
    "num_attention_heads": 16,
    "image_size": 384,
    "patch_size": 14,
}


class WingsConfig(PreTrainedConfig):
    r"""
    text_config: backbone LLM config (Qwen2Config or LlamaConfig, chosen by its `model_type`).
    vision_config: SiglipVisionConfig of the image tower.
    projector_type: only "mlp2x_gelu" (Linear -> exact GELU -> Linear), as in the released model.
    vision_feature_layer: index into the tower's `hidden_states` (-2 = second-to-last layer, no post-layernorm).
    image_token_id: placeholder id in `input_ids`; each image occupies `image_seq_length` consecutive placeholders.
    image_seq_length: tokens per image = (image_size / patch_size)^2; derived from the vision config when None.
    use_learners: False gives the LLaVA-style baseline (same model, no learners and no router).
    learner_rank: rank r of every LoRRA low-rank pair.
    learner_layers: decoder layers that get learners + router; None = every layer.
    router_width: width of the router's linear input, indexed by *key positions* (official value 4096).
    mode: "clean" = paper semantics; "official" = the released code's quirks (see modeling_wings docstring).
    system_prompt_len: tokens at the start of an image sample that the textual learner never uses as keys.
    answer_format: "letter" | "text" | None: what the model was trained to answer multiple-choice questions with
        (written by training; evaluation harnesses score that format by default).
    official_max_length: official mode only: the released inference cuts its inputs to this many positions (its
        tokenizer's model_max_length, 2048); wings_ref refuses longer sequences instead of cutting them.
    """

    model_type = "wings"
    sub_configs_defaults = {
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="qwen2"),
        "vision_config": SubConfigSpec(config_class=SiglipVisionConfig, init_kwargs=_SO400M),
    }

    text_config: dict | PreTrainedConfig | None = None
    vision_config: dict | PreTrainedConfig | None = None
    projector_type: str = "mlp2x_gelu"
    vision_feature_layer: int = -2
    image_token_id: int = 151646
    image_seq_length: int | None = None
    use_learners: bool = True
    learner_rank: int = 64
    learner_layers: list[int] | None = None
    router_width: int = 4096
    mode: Literal["clean", "official"] = "clean"
    system_prompt_len: int = 14
    official_max_length: int = 2048
    answer_format: str | None = None
    tie_word_embeddings: bool = False

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        if self.text_config.model_type not in SUPPORTED_TEXT_MODELS:
            raise ValueError(
                f"WingsConfig.text_config.model_type={self.text_config.model_type!r}; use one of {SUPPORTED_TEXT_MODELS}"
            )
        if self.mode not in MODES:
            raise ValueError(f"WingsConfig.mode={self.mode!r}; use one of {MODES}")
        if self.projector_type != "mlp2x_gelu":
            raise ValueError(f"WingsConfig.projector_type={self.projector_type!r}; only 'mlp2x_gelu' is implemented")
        self.vision_config.vision_use_head = False  # features come from hidden_states; the pooling head is unused
        if self.image_seq_length is None:
            self.image_seq_length = (self.vision_config.image_size // self.vision_config.patch_size) ** 2
        n_layers = self.text_config.num_hidden_layers
        if self.learner_layers is not None:
            bad = [i for i in self.learner_layers if not 0 <= i < n_layers]
            if bad:
                raise ValueError(f"WingsConfig.learner_layers has {bad}; layers are 0..{n_layers - 1}")
            self.learner_layers = sorted(set(self.learner_layers))
        if not self.tie_word_embeddings and getattr(self.text_config, "tie_word_embeddings", False):
            self.tie_word_embeddings = True

    def has_learners(self, layer_idx: int) -> bool:
        """Whether decoder layer `layer_idx` carries the two learners and the router."""
        if not self.use_learners:
            return False
        return self.learner_layers is None or layer_idx in self.learner_layers

    @property
    def rope_theta(self) -> float:
        """RoPE base of the LLM; the learners rotate with the same frequencies."""
        return float(self.text_config.rope_parameters["rope_theta"])


__all__ = ["WingsConfig"]
