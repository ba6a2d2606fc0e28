"""Load the released WINGS checkpoint (AIDC-AI/Wings-Qwen1_5-8B layout) into wings_ref.

The released code never reads its checkpoint's config.json for the WINGS parts, so neither does this loader: the LLM
fields (hidden size, layers, heads, vocab, RoPE theta, ...) come from config.json, everything else from the official
inference defaults below, and learner rank, learner layers and router width are inferred from (or, when given, checked
against) the tensor shapes. Any disagreement raises `CheckpointError` naming the key and both shapes.

Key mapping (official -> wings_ref):
    model.embed_tokens / model.layers.N.{self_attn,mlp,*_layernorm} / model.norm / lm_head     unchanged
    model.layers.N.attn_pool.{q,k,v,o}_proj.{0,1}.weight      (visual learner, down [r,H] / up [H,r])  unchanged
    model.layers.N.attn_t_pool.{q,k,v,o}_proj.{0,1}.weight    (textual learner)                        unchanged
    model.layers.N.reweight_module.linear.{weight,bias}       (router [2, 4096])                       unchanged
    model.mm_projector.{0,2}.{weight,bias}                    (Linear, exact GELU, Linear)             unchanged
    model.vision_tower.vision_tower.vision_model.X            -> model.vision_tower.X
    ...vision_model.head.*                                    ignored (pooling head, unused by design)
    ...vision_model.post_layernorm.*                          loaded but never used (features precede it)
    ...vision_model.encoder.layers.I.*, I >= kept             ignored (the official tower drops its last layer)
    *.rotary_emb.inv_freq, *.position_ids                     ignored (buffers recomputed from the config)

Modes (both load the same weights; `WingsConfig.mode` records the choice and `save_pretrained` keeps it). The
reference semantics of `official` is the released code (AIDC-AI/Wings, `modeling_wings_qwen2.py` / `base_module.py`)
run on each sample alone, with batch size 1 as its inference does:

| behaviour                  | official (released code, as trained)                   | clean (paper)                     |
|----------------------------|--------------------------------------------------------|-----------------------------------|
| textual-learner keys       | image at [b, e), b > 0: positions [S, b) ∪ [e, L);     | the text: not the image, not the  |
|                            | image at b = 0 or no image: every position (for b = 0  | first S positions of an image     |
|                            | the image and system prompt too)                       | sample                            |
| textual-learner mask       | key's rank in that key list <= query position (image   | key's true position <= query's    |
|                            | samples see ~T+S keys "ahead")                         | position (causal)                 |
| image samples: learner mix | h += 2·(w_vis·Δv + w_txt·Δt)                           | h += w_vis·Δv + w_txt·Δt          |
| text-only samples          | textual learner only, weight 1                         | same                              |
| images per sample          | one (more: ValueError, as the released code cannot)    | any number                        |
| inputs over 2048 positions | ValueError (the released inference cuts them to its    | up to the router width            |
|                            | tokenizer's model_max_length without a word)           |                                   |
| vision tower               | 26 of 27 SigLIP layers, last kept layer's output, no   | same weights and features (=      |
|                            | post_layernorm                                         | paper's second-to-last layer)     |
| generation with an image   | the whole sequence re-run at every step, as the        | KV cache; the learner memory      |
|                            | released decoding (its forward returns no cache; the   | follows beam reordering and       |
|                            | rank mask lets earlier tokens see later text, so a     | cropping                          |
|                            | cache would go stale); extending a cached image        |                                   |
|                            | sequence is refused                                    |                                   |
| generation, text only      | KV cache (exact: rank = position)                      | KV cache                          |
| padded batches             | each sample as alone (the released code's own padded   | each sample as alone              |
|                            | batches are not: a shorter sample's zero padding       |                                   |
|                            | enters its textual keys, its last query rows are fully |                                   |
|                            | masked, and its `padding_length` branch adds the       |                                   |
|                            | visual term once instead of twice)                     |                                   |

Both modes never generate the image placeholder id (a placeholder without pixels would break the next step).
Placement: without `device_map` the model is built on one device after a memory check; with it, transformers and
accelerate spread it over GPUs, CPU memory and disk (placement.py).

Licence: the released weights derive from Qwen1.5-7B-Chat (Tongyi Qianwen licence agreement; its terms, including the
commercial-use conditions, apply to the LLM weights) and SigLIP-so400m-patch14-384 (Apache-2.0); the WINGS code is
Apache-2.0. Converted checkpoints carry the same terms: keep this note in their model card.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers.initialization import no_init_weights

from .configuration_wings import _SO400M, WingsConfig
from .errors import CheckpointError, name_some
from .modeling_wings import WingsForConditionalGeneration
from .placement import check_device_map, check_fits, weight_bytes
from .shards import ShardSet, find_shards, iter_shards

logger = logging.getLogger(__name__)

# Official inference arguments (the checkpoint does not store them).
LEARNER_RANK = 64
ROUTER_WIDTH = 4096
SYSTEM_PROMPT_LEN = 14
OFFICIAL_VISION = dict(_SO400M)  # the full SigLIP-so400m; the loader keeps all but its last layer
# LLM fields of Qwen1.5-7B-Chat, used only where config.json lacks one.
QWEN15_7B = dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=32, vocab_size=151936, rms_norm_eps=1e-6, max_position_embeddings=32768,
                 rope_theta=1e6, hidden_act="silu", tie_word_embeddings=False)
TEXT_FIELDS = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
               "vocab_size", "rms_norm_eps", "max_position_embeddings", "hidden_act", "tie_word_embeddings",
               "bos_token_id", "eos_token_id", "pad_token_id", "attention_dropout", "initializer_range",
               "use_sliding_window", "sliding_window", "max_window_layers", "attention_bias", "mlp_bias", "head_dim")

OFFICIAL_TOWER = "model.vision_tower.vision_tower.vision_model."
WINGS_TOWER = "model.vision_tower."
UNUSED_BY_DESIGN = "model.vision_tower.post_layernorm."  # loaded when present, never used by the forward
_LAYER = re.compile(r"^model\.layers\.(\d+)\.")
_TOWER_LAYER = re.compile(r"^encoder\.layers\.(\d+)\.")
_LEARNER = re.compile(r"^model\.layers\.(\d+)\.(attn_pool|attn_t_pool|reweight_module)\.")


@dataclass(frozen=True)
class KeyMapping:
    """Where one official key goes: `target` in wings_ref, or None with the `ignored` reason."""

    target: str | None
    ignored: str | None = None


@dataclass(frozen=True)
class LoadReport:
    files: tuple[str, ...]
    ignored: dict  # official key -> why it is not used
    inferred: dict  # hyper-parameter -> value read from the tensor shapes


@dataclass(frozen=True)
class OfficialLoad:
    model: WingsForConditionalGeneration
    report: LoadReport


def map_official_key(key: str, vision_layers_kept: int) -> KeyMapping:
    """The wings_ref name of one official checkpoint key (see the module docstring for the table)."""
    if key.endswith("rotary_emb.inv_freq") or key.endswith("position_ids"):
        return KeyMapping(None, "buffer, recomputed from the config")
    if not key.startswith(OFFICIAL_TOWER):
        return KeyMapping(key)
    rest = key[len(OFFICIAL_TOWER):]
    if rest.startswith("head."):
        return KeyMapping(None, "SigLIP pooling head, unused by design")
    layer = _TOWER_LAYER.match(rest)
    if layer and int(layer.group(1)) >= vision_layers_kept:
        return KeyMapping(None, f"vision layer {layer.group(1)} removed by the official truncation "
                                f"(keeps {vision_layers_kept})")
    if rest.startswith("post_layernorm."):
        return KeyMapping(WINGS_TOWER + rest, "post_layernorm: loaded, never used (features precede it)")
    return KeyMapping(WINGS_TOWER + rest)


def text_config_from_official(official: dict) -> dict:
    """The backbone config (Qwen2, or Llama for the Llama-3.1 variant) from the LLM fields of config.json."""
    kind = " ".join([str(official.get("model_type", ""))] + list(official.get("architectures") or [])).lower()
    text = {"model_type": "llama" if "llama" in kind else "qwen2"}
    for name in TEXT_FIELDS:
        if name in official:
            text[name] = official[name]
        elif name in QWEN15_7B:
            text[name] = QWEN15_7B[name]
    text.setdefault("num_key_value_heads", text["num_attention_heads"])
    rope = dict(official.get("rope_parameters") or official.get("rope_scaling") or {"rope_type": "default"})
    rope["rope_theta"] = float(official.get("rope_theta", rope.get("rope_theta", QWEN15_7B["rope_theta"])))
    text["rope_parameters"] = rope
    return text


def infer_learners(tensors: dict, directory: Path) -> dict:
    """learner_rank, router_width and learner_layers as the weights have them."""
    layers = sorted({int(m.group(1)) for key in tensors if (m := _LEARNER.match(key))})
    if not layers:
        raise CheckpointError(f"{directory}: no learner keys (model.layers.N.attn_pool.*); not a WINGS checkpoint")
    rank_keys = sorted(k for k in tensors if k.endswith("attn_pool.q_proj.0.weight"))
    router_keys = sorted(k for k in tensors if k.endswith("reweight_module.linear.weight"))
    return {
        "learner_rank": tensors[rank_keys[0]].shape[0] if rank_keys else LEARNER_RANK,
        "router_width": tensors[router_keys[0]].shape[1] if router_keys else ROUTER_WIDTH,
        "learner_layers": layers,
    }


def official_config(official: dict, shards: ShardSet, mode: str = "official", vision_config: dict | None = None,
                    vision_layers_kept: int | None = None, **overrides) -> WingsConfig:
    """WingsConfig from config.json's LLM fields + official defaults + what the tensor shapes say + `overrides`."""
    text = text_config_from_official(official)
    found = sorted({int(m.group(1)) for key in shards.tensors if (m := _LAYER.match(key))})
    if found and found[-1] + 1 != text["num_hidden_layers"]:
        raise CheckpointError(f"{shards.directory}/config.json: num_hidden_layers={text['num_hidden_layers']} but "
                              f"the weights have decoder layers 0..{found[-1]} (model.layers.{found[-1]}.*)")
    vision = dict(OFFICIAL_VISION if vision_config is None else vision_config)
    kept = vision["num_hidden_layers"] - 1 if vision_layers_kept is None else vision_layers_kept
    inferred = infer_learners(shards.tensors, shards.directory)
    if inferred["learner_layers"] == list(range(text["num_hidden_layers"])):
        inferred["learner_layers"] = None  # every layer, as released
    settings = {**inferred, "system_prompt_len": SYSTEM_PROMPT_LEN, **overrides}
    # features = output of the last kept layer, before post_layernorm (SiglipVisionModel's hidden_states[-1])
    return WingsConfig(text_config=text, vision_config={**vision, "num_hidden_layers": kept},
                       vision_feature_layer=-1, mode=mode, **settings)


def _check_keys(model_shapes: dict, mapped: dict, shards: ShardSet, config: WingsConfig) -> None:
    """Strict: every model weight present (bar the unused-by-design ones), nothing unknown, every shape equal."""
    unexpected = sorted(key for key, target in mapped.items() if target not in model_shapes)
    if unexpected:
        info = shards.tensors[unexpected[0]]
        raise CheckpointError(f"{info.file}: unexpected key {name_some(unexpected)}; not part of a WINGS model "
                              f"with this config (learner_layers={config.learner_layers})")
    optional = {k for k in model_shapes if k.startswith(UNUSED_BY_DESIGN)}
    if config.tie_word_embeddings:
        optional.add("lm_head.weight")
    missing = sorted(set(model_shapes) - set(mapped.values()) - optional)
    if missing:
        raise CheckpointError(f"{shards.directory}: missing key {name_some(missing)} (wings_ref name) in the "
                              "checkpoint; the download is incomplete or the layout is not the official one")
    for key, target in mapped.items():
        got, want = shards.tensors[key].shape, tuple(model_shapes[target])
        if got != want:
            raise CheckpointError(f"{shards.tensors[key].file}: {key} has shape {list(got)} but the model expects "
                                  f"{list(want)} (learner_rank={config.learner_rank}, "
                                  f"router_width={config.router_width}); fix the hyper-parameter or the weights")


def read_official(directory: str | Path, mode: str = "official", dtype: torch.dtype | None = None,
                  device: str | torch.device = "cpu", *, allow_pickle: bool = False,
                  vision_config: dict | None = None, vision_layers_kept: int | None = None,
                  device_map: str | dict | None = None, max_memory: dict | None = None,
                  offload_folder: str | Path | None = None, **overrides) -> OfficialLoad:
    """Load an official-layout directory; `overrides` are WingsConfig fields (learner_rank=..., image_token_id=...)
    that take precedence over the defaults and the inferred values, and are then checked against the weights.

    Without `device_map` the model is built on `device` after a memory check (one-line `CheckpointError` when the
    weights cannot fit). With `device_map` ("auto", "balanced", "sequential" or a {module: device} dict; with
    `max_memory` / `offload_folder` as in transformers) the weights go where accelerate places them, over GPUs,
    CPU memory and disk; see placement.py."""
    directory = Path(directory)
    shards = find_shards(directory, allow_pickle)
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise CheckpointError(f"{config_path}: not found; the LLM fields (hidden_size, layers, heads, vocab, "
                              "rope_theta) are read from it")
    try:
        official = json.loads(config_path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{config_path}: not valid JSON ({type(exc).__name__}); download it again") from None
    if not isinstance(official, dict):
        raise CheckpointError(f"{config_path}: must be a JSON object (the LLM's config), got "
                              f"{type(official).__name__}")
    if vision_layers_kept is not None and vision_layers_kept < 1:
        raise CheckpointError(f"vision_layers_kept={vision_layers_kept}: keep at least one SigLIP layer "
                              "(the release keeps all but the last)")
    try:
        config = official_config(official, shards, mode, vision_config, vision_layers_kept, **overrides)
    except (TypeError, ValueError, KeyError) as exc:
        if isinstance(exc, CheckpointError):
            raise
        raise CheckpointError(f"{config_path}: cannot build the model config from it "
                              f"({' '.join(str(exc).split())[:160]}); check its LLM fields") from None
    inferred = infer_learners(shards.tensors, directory)
    kept = config.vision_config.num_hidden_layers
    mapping = {key: map_official_key(key, kept) for key in shards.tensors}
    ignored = {key: m.ignored for key, m in mapping.items() if m.ignored}
    mapped = {key: m.target for key, m in mapping.items() if m.target is not None}
    with torch.device("meta"):  # shapes only: fails before the real (large) model is allocated
        model_shapes = {k: v.shape for k, v in WingsForConditionalGeneration(config).state_dict().items()}
    _check_keys(model_shapes, mapped, shards, config)

    if dtype is None:  # keep the checkpoint's floating dtype (bf16 for the release)
        dtype = next((i.dtype for i in shards.tensors.values() if i.dtype is not None and i.dtype.is_floating_point),
                     torch.float32)
    report = LoadReport(tuple(p.name for p in shards.files), ignored, inferred)
    if device_map is not None:
        model = _load_dispatched(shards, config, dtype, device_map, max_memory, offload_folder)
        return OfficialLoad(model, report)
    check_fits(weight_bytes((math.prod(s) for s in model_shapes.values()), dtype), device, dtype, str(directory))
    with no_init_weights(), torch.device(device):  # every weight is overwritten below
        model = WingsForConditionalGeneration._from_config(config, dtype=dtype)
    state = model.state_dict()
    with torch.no_grad():
        for name in model_shapes:  # unused-by-design weights absent from the checkpoint: LayerNorm identity
            if name.startswith(UNUSED_BY_DESIGN) and name not in mapped.values():
                state[name].fill_(1.0 if name.endswith("weight") else 0.0)
        for _path, tensors in iter_shards(shards):  # one shard in memory at a time
            for key, tensor in tensors.items():
                if key in mapped:
                    state[mapped[key]].copy_(tensor)
            del tensors
    model.eval()
    for key, why in sorted(ignored.items()):
        logger.info("ignored %s: %s", key, why)
    return OfficialLoad(model, report)


def _load_dispatched(shards: ShardSet, config: WingsConfig, dtype: torch.dtype, device_map, max_memory,
                     offload_folder) -> WingsForConditionalGeneration:
    """transformers' own loader over the official files (keys renamed by `key_mapping`), placed by accelerate.

    The strict key and shape check has already run, so the keys it reports as unexpected are exactly the ignored ones
    (truncated tower layer, pooling head) and its load report is silenced."""
    from transformers.utils import logging as hf_logging

    check_device_map(device_map)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model = WingsForConditionalGeneration.from_pretrained(
            shards.directory, config=config, dtype=dtype, device_map=device_map, max_memory=max_memory,
            offload_folder=None if offload_folder is None else str(offload_folder), use_safetensors=not shards.pickle,
            key_mapping={"^" + re.escape(OFFICIAL_TOWER): WINGS_TOWER})
    except (OSError, ValueError) as exc:  # e.g. weights that need disk offload but no offload_folder
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{shards.directory}: cannot place the model with device_map={device_map!r}: "
                              f"{first}") from exc
    finally:
        hf_logging.set_verbosity(verbosity)
    return model.eval()


def load_official(directory: str | Path, mode: str = "official", dtype: torch.dtype | None = None,
                  device: str | torch.device = "cpu", **kwargs) -> WingsForConditionalGeneration:
    """The released checkpoint as a WingsForConditionalGeneration (eval mode); see `read_official` for kwargs."""
    return read_official(directory, mode, dtype, device, **kwargs).model


__all__ = ["KeyMapping", "LoadReport", "OfficialLoad", "map_official_key", "text_config_from_official",
           "infer_learners", "official_config", "read_official", "load_official", "LEARNER_RANK", "ROUTER_WIDTH", "SYSTEM_PROMPT_LEN"]
