"""The initial WINGS checkpoint of the zoo MLLMs: base-tiny (LLM) + siglip-tiny (vision tower) + the zoo tokenizer.

    assemble_wings(base_dir, vision_dir, out, AssembleSpec(use_learners=True)) -> out

The LLM and tower weights are copied in strictly (every backbone / tower tensor must find its slot); only the
projector, the learners and the router are new. The learners' B matrices start at 0 (wings_ref's init), so with
text-only input the assembled model computes exactly what base-tiny computes. `use_learners=False` gives the
LLaVA-style model of the naive recipe. The directory loads with `wings:<out>` (tokenizer + processor_config.json).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from iitbench.errors import DataError
from iitbench.zoo.tokenizer import IM_END, IMAGE, load_tokenizer

NEW_PARTS = ("mm_projector", "attn_pool", "attn_t_pool", "reweight_module")  # freshly initialised in a new WINGS
TOWER_PREFIX = "model.vision_tower."


@dataclass(frozen=True)
class AssembleSpec:
    use_learners: bool = True
    learner_rank: int = 8
    learner_layers: tuple[int, ...] | None = None  # None: every decoder layer
    seed: int = 0  # initialises the projector (and the learners' A matrices)


def _is_new(key: str) -> bool:
    return any(part in key.split(".") for part in NEW_PARTS)


def _load_backbones(base_dir: Path, vision_dir: Path):
    from transformers import AutoModelForCausalLM, SiglipVisionModel

    for path, what in ((base_dir, "base LLM"), (vision_dir, "vision encoder")):
        if not (Path(path) / "config.json").is_file():
            raise DataError(f"{path}: no {what} here (config.json missing); build it first with iitbench zoo build")
    llm = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    tower = SiglipVisionModel.from_pretrained(vision_dir, dtype=torch.float32)
    return llm, tower


def wings_config(llm_config, vision_config, tokenizer, spec: AssembleSpec):
    from wings_ref import WingsConfig
    from wings_ref.train.data import ChatEncoding

    image_id = tokenizer.convert_tokens_to_ids(IMAGE)
    if not isinstance(image_id, int) or image_id == tokenizer.unk_token_id:
        raise DataError(f"the zoo tokenizer has no {IMAGE} token; rebuild it (iitbench zoo build --only tokenizer)")
    encode = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    seq_len = (vision_config.image_size // vision_config.patch_size) ** 2
    system_len = ChatEncoding(encode, image_id, seq_len).system_prompt_len()
    window = int(llm_config.max_position_embeddings)
    return WingsConfig(text_config=llm_config.to_dict(), vision_config=vision_config.to_dict(),
                       image_token_id=image_id, image_seq_length=seq_len, use_learners=spec.use_learners,
                       learner_rank=spec.learner_rank,
                       learner_layers=None if spec.learner_layers is None else list(spec.learner_layers),
                       router_width=window, mode="clean", system_prompt_len=system_len,
                       eos_token_id=tokenizer.convert_tokens_to_ids(IM_END), pad_token_id=tokenizer.pad_token_id)


def backbone_state(llm, tower) -> dict[str, torch.Tensor]:
    """LLM keys keep their names (wings_ref reuses the HF module names); the tower goes under model.vision_tower."""
    state = dict(llm.state_dict())
    state.update({TOWER_PREFIX + k: v for k, v in tower.state_dict().items()})
    return state


def assemble_wings(base_dir: Path, vision_dir: Path, out: Path, spec: AssembleSpec = AssembleSpec(),
                   tokenizer_dir: Path | None = None) -> Path:
    """Write the initial WINGS checkpoint into `out` (weights, config, tokenizer, processor_config.json)."""
    from wings_ref import WingsForConditionalGeneration
    from wings_ref.processing_wings import WingsProcessor

    base_dir, vision_dir, out = Path(base_dir), Path(vision_dir), Path(out)
    tokenizer = load_tokenizer(tokenizer_dir or base_dir)
    llm, tower = _load_backbones(base_dir, vision_dir)
    config = wings_config(llm.config, tower.config, tokenizer, spec)
    with torch.random.fork_rng(devices=[]):  # local seed: the caller's RNG stays as it was
        torch.manual_seed(spec.seed)
        model = WingsForConditionalGeneration(config)
    result = model.load_state_dict(backbone_state(llm, tower), strict=False)
    missing = sorted(k for k in result.missing_keys if not _is_new(k))
    if missing or result.unexpected_keys:
        raise DataError(f"assembling WINGS from {base_dir} + {vision_dir}: missing {missing[:3]}, unexpected "
                        f"{sorted(result.unexpected_keys)[:3]}; the zoo backbones do not match wings_ref's layout")
    model.tie_weights()
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    WingsProcessor.from_config(tokenizer, config).save_pretrained(out)
    return out


def new_parameter_names(model) -> list[str]:
    """Names of the parameters assemble_wings initialises fresh (projector, learners, router)."""
    return sorted(n for n, _ in model.named_parameters() if _is_new(n))


__all__ = ["AssembleSpec", "NEW_PARTS", "assemble_wings", "backbone_state", "new_parameter_names", "wings_config"]
