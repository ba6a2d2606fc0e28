"""hf adapter loading: registration, processor checks, the image-only processor path, flags and error messages."""

from __future__ import annotations

import json
import shutil

import pytest

from iitbench.errors import ModelError
from iitbench.models import MODELS, ChoiceRequest, load_model
from iitbench.models.hf_vlm import HFVLMAdapter
from tests.fixtures.tiny_lm import make_tiny_qwen2
from tests.models.hf_vlm_fixtures import image_root, img, one_torch_thread, user, vlm_adapter, vlm_dirs  # noqa: F401


def test_hf_name_is_registered():
    assert MODELS.get("hf") is HFVLMAdapter


def test_qwen2_vl_gets_an_image_only_processor_when_autoprocessor_fails(vlm_dirs, vlm_adapter):
    from transformers import AutoProcessor

    with pytest.raises(ImportError):  # precondition: the video processor needs torchvision, absent here
        AutoProcessor.from_pretrained(vlm_dirs["qwen2_vl"])
    adapter = vlm_adapter("qwen2_vl")
    assert type(adapter.processor).__name__ == "Qwen2VLProcessorImageOnly"
    assert type(adapter.processor.image_processor).__name__.endswith("Pil")
    assert not hasattr(adapter.processor, "video_processor")


def test_trust_remote_code_is_passed_only_when_asked(vlm_dirs, monkeypatch):
    import transformers

    seen: list[object] = []
    for cls in (transformers.AutoProcessor, transformers.AutoModelForImageTextToText):
        original = cls.from_pretrained.__func__

        def spy(klass, *args, _original=original, **kwargs):
            seen.append(kwargs.get("trust_remote_code", False))
            return _original(klass, *args, **kwargs)

        monkeypatch.setattr(cls, "from_pretrained", classmethod(spy))
    load_model(f"hf:{vlm_dirs['llava']}")
    assert seen and not any(seen)
    seen.clear()
    load_model(f"hf:{vlm_dirs['llava']}", {"trust_remote_code": True})
    assert seen and all(seen)


def test_text_only_model_whose_autoprocessor_is_a_tokenizer_is_refused(tmp_path):
    from transformers import AutoProcessor

    lm = make_tiny_qwen2(tmp_path / "lm")
    assert not hasattr(AutoProcessor.from_pretrained(lm), "image_processor")  # precondition: a bare tokenizer
    with pytest.raises(ModelError) as err:
        load_model(f"hf:{lm}")
    message = str(err.value)
    assert "\n" not in message and "AutoProcessor returned a" in message and "hf-causal:" in message


def test_uncached_hub_id_gives_one_line_error():
    with pytest.raises(ModelError) as err:
        load_model("hf:nobody-here/no-such-vlm")
    message = str(err.value)
    assert "\n" not in message and "nobody-here/no-such-vlm" in message and "offline" in message


def test_missing_chat_template_asks_for_plain_template(vlm_dirs, tmp_path, image_root):
    bare = tmp_path / "llava_no_template"
    shutil.copytree(vlm_dirs["llava"], bare)
    (bare / "chat_template.jinja").unlink()
    for name in ("tokenizer_config.json", "processor_config.json"):
        data = json.loads((bare / name).read_text())
        data.pop("chat_template", None)
        (bare / name).write_text(json.dumps(data))
    with pytest.raises(ModelError, match="plain_template=true"):
        load_model(f"hf:{bare}")
    plain = load_model(f"hf:{bare}", {"plain_template": True})
    messages = (user("What is it?", img(image_root, "red.png")),)
    assert plain.render(messages) == "User: What is it?<image>\nAssistant: "
    result = plain.score_choices([ChoiceRequest(key="p", messages=messages, choices=("red", "blue"))])[0]
    assert all(n > 0 for n in result.n_tokens)


def test_max_images_marks_larger_dialogues_not_applicable(vlm_dirs, image_root):
    adapter = load_model(f"hf:{vlm_dirs['llava']}", {"max_images": 1})
    red = img(image_root, "red.png")
    assert adapter.accepts((user("one", red),)) is None
    assert "at most 1" in adapter.accepts((user("two", red, red),))
    with pytest.raises(ModelError, match="not applicable"):
        adapter.score_choices([ChoiceRequest(key="x", messages=(user("two", red, red),), choices=("a",))])


def test_describe_reports_identity_and_settings(vlm_adapter, vlm_dirs):
    info = vlm_adapter("gemma3").describe()
    assert info["parameters"] > 0 and info["dtype"] == "float32" and info["device"] == "cpu"
    assert len(info["fingerprint"]) == 64 and len(info["chat_template_hash"]) == 64
    assert info["fingerprint"] != vlm_adapter("llava").describe()["fingerprint"]
    caps = vlm_adapter("gemma3").capabilities
    assert caps.images and caps.generate and caps.attention and caps.max_context == 512


def test_text_only_dialogue_longer_than_window_is_cut_but_image_dialogue_raises(vlm_dirs, image_root):
    short = load_model(f"hf:{vlm_dirs['llava']}", {"max_length": 40})
    long_text = "the answer is " * 20
    ok = short.score_choices([ChoiceRequest(key="t", messages=(user(long_text),), choices=("yes",))])[0]
    assert ok.n_tokens[0] > 0 and short.describe()["truncated_requests"] == 1
    with pytest.raises(ModelError, match="never truncated"):
        short.score_choices([ChoiceRequest(key="i", messages=(user(long_text, img(image_root, "red.png")),),
                                           choices=("yes",))])
