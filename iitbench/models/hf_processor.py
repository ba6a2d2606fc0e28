"""Load the `AutoProcessor` of an image-text-to-text model, with an image-only fallback that needs no torchvision.

`AutoProcessor` fails for processors that also hold a video processor (Qwen2-VL, SmolVLM, LLaVA-OneVision,
InternVL): video processors need torchvision, which the CPU environment does not have. It also silently returns a
bare tokenizer when it cannot build a processor. In both cases we build the family's processor class ourselves
from the PIL variant of its image processor, the tokenizer, the processor settings and the chat template, with the
video processor left out (iitbench never sends videos).
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

from iitbench.errors import ModelError
from iitbench.models import hf_common as hc

_NON_IMAGE_PARTS = ("video_processor", "feature_extractor", "audio_processor", "audio_tokenizer")


def is_processor(obj: Any) -> bool:
    from transformers import ProcessorMixin

    return isinstance(obj, ProcessorMixin) and getattr(obj, "image_processor", None) is not None


def load_processor(path: str, revision: str | None, trust_remote_code: bool) -> Any:
    """The model's processor (a ProcessorMixin with an image processor) or a one-line ModelError."""
    from transformers import AutoProcessor

    common = {"revision": revision, "trust_remote_code": trust_remote_code}
    try:
        processor = AutoProcessor.from_pretrained(path, **common)
        first_error = None
    except Exception as e:  # noqa: BLE001 - ImportError (torchvision), ValueError, OSError, ...
        processor, first_error = None, e
    if processor is not None and is_processor(processor):
        return processor
    if first_error is not None and not hc.looks_local(path) and isinstance(first_error, OSError):
        hc.load_or_explain("processor", path, _raiser(first_error))  # a hub id that is not cached: one line
    cls = processor_class(path, revision, trust_remote_code)
    why = (f"AutoProcessor failed ({_short(first_error)})" if first_error is not None
           else f"AutoProcessor returned a {type(processor).__name__}, not a processor with an image processor")
    if cls is None:
        raise ModelError(f"cannot load the processor of {path}: {why} and no processor class is named in its "
                         f"config; this looks like a text-only model (use hf-causal:{path}) or an incomplete "
                         f"save_pretrained directory (it needs preprocessor_config.json or processor_config.json)")
    try:
        return build_image_only(cls, path, revision, trust_remote_code)
    except ModelError:
        raise
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"cannot load the processor of {path}: {why}; building {cls.__name__} image-only from "
                         f"its PIL image processor also failed ({_short(e)}); install torchvision or pass a "
                         f"directory with a complete processor") from None


def _raiser(e: BaseException):
    def fail() -> Any:
        raise e

    return fail


def _short(e: BaseException | None) -> str:
    text = " ".join(str(e).split())[:200] if e is not None else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def processor_class(path: str, revision: str | None, trust_remote_code: bool):
    """The processor class named by the checkpoint (processor/preprocessor config), else by its model type."""
    from transformers import AutoConfig
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING_NAMES
    from transformers.processing_utils import ProcessorMixin

    name = None
    root = hc.local_dir(path, revision)
    for file in ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json"):
        data = _read_json(root / file) if root is not None else None
        if isinstance(data, dict) and isinstance(data.get("processor_class"), str):
            name = data["processor_class"]
            break
    if name is None:
        try:
            config = AutoConfig.from_pretrained(path, revision=revision, trust_remote_code=trust_remote_code)
            name = PROCESSOR_MAPPING_NAMES.get(config.model_type)
        except Exception:  # noqa: BLE001 - the model load reports a broken config with its own message
            return None
    if not name:
        return None
    try:
        return ProcessorMixin.get_possibly_dynamic_module(name)
    except Exception:  # noqa: BLE001 - a remote-code class we do not have
        return None


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None
    except (OSError, ValueError):
        return None


def image_only_class(base: type) -> type:
    """`base` without its video/audio sub-processors: ProcessorMixin derives them from the `__init__` signature."""

    def __init__(self, image_processor=None, tokenizer=None, **kwargs):
        for key in _NON_IMAGE_PARTS:
            kwargs.pop(key, None)
        base.__init__(self, image_processor=image_processor, tokenizer=tokenizer, **kwargs)

    return type(f"{base.__name__}ImageOnly", (base,), {"__init__": __init__, "__module__": __name__})


def build_image_only(base: type, path: str, revision: str | None, trust_remote_code: bool) -> Any:
    """`base(image_processor=<PIL variant>, tokenizer, **settings, chat_template)` without a video processor."""
    from transformers import AutoImageProcessor, AutoTokenizer

    common = {"revision": revision, "trust_remote_code": trust_remote_code}
    try:
        image_processor = AutoImageProcessor.from_pretrained(path, backend="pil", **common)
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"cannot load the processor of {path}: the PIL image processor for {base.__name__} "
                         f"failed to load ({_short(e)}); install torchvision or fix preprocessor_config.json") from None
    tokenizer = AutoTokenizer.from_pretrained(path, **common)
    settings, _ = base.get_processor_dict(path, **common)
    accepted = set(inspect.signature(base.__init__).parameters) - {"self", "image_processor", "tokenizer",
                                                                   *_NON_IMAGE_PARTS}
    kwargs = {k: v for k, v in settings.items() if k in accepted}
    if not kwargs.get("chat_template"):
        kwargs["chat_template"] = _chat_template(path, revision) or getattr(tokenizer, "chat_template", None)
    return image_only_class(base)(image_processor=image_processor, tokenizer=tokenizer, **kwargs)


def _chat_template(path: str, revision: str | None) -> str | None:
    root = hc.local_dir(path, revision)
    if root is None:
        return None
    if (root / "chat_template.jinja").is_file():
        return (root / "chat_template.jinja").read_text(encoding="utf-8")
    data = _read_json(root / "chat_template.json")
    return data.get("chat_template") if isinstance(data, dict) else None
