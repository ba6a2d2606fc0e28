"""The `wings` / `wings-base` adapters and WingsProcessor, on tiny random WINGS checkpoints (built once)."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
import torch
from PIL import Image

from iitbench.data.types import TextPart
from iitbench.errors import ModelError
from iitbench.models import load_model
from iitbench.models.protocol import ChoiceRequest, GenerateRequest, ImageRef, Message
from tests.fixtures.tiny_wings import make_tiny_wings
from tests.runner.dataset_factory import make_dataset
from wings_ref.processing_wings import WingsProcessor, build_prompt

SYSTEM = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"


@pytest.fixture(scope="session")
def wings_dir(tmp_path_factory) -> Path:
    return make_tiny_wings(tmp_path_factory.mktemp("tiny_wings"))


@pytest.fixture(scope="session")
def wings(wings_dir):
    return load_model(f"wings:{wings_dir}", {"dtype": "float32"})


@pytest.fixture(scope="session")
def wings_official(wings_dir):
    return load_model(f"wings:{wings_dir}", {"mode": "official"})


@pytest.fixture(scope="session")
def images(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wings_images")
    (root / "images").mkdir()
    for colour, size in (("red", (12, 20)), ("blue", (20, 12)), ("green", (16, 16))):
        Image.new("RGB", size, colour).save(root / "images" / f"{colour}.png")
    return root


def user(*parts) -> Message:
    return Message("user", tuple(p if isinstance(p, ImageRef) else TextPart(p) for p in parts))


def assistant(text: str) -> Message:
    return Message("assistant", (TextPart(text),))


def requests(root: Path) -> list[ChoiceRequest]:
    """Mixed text-only and image dialogues (images in turn 1 or 2), with varied lengths."""
    red, blue = ImageRef(root, "images/red.png"), ImageRef(root, "images/blue.png")
    green = ImageRef(root, "images/green.png")
    dialogues = [
        (user("Which colour?\nA. red\nB. blue"),),
        (user(red, "What is shown?\nA. cat\nB. red\nC. dog"),),
        (user("Sum 2 + 3?\nA. 5\nB. 6"), assistant("A"), user("Look: ", blue, " which side?\nA. left\nB. right")),
        (user("Is the sky blue?\nA. yes\nB. no"), assistant("A"), user("And water?\nA. yes\nB. no")),
        (user(green, "A tree?"), assistant("B"), user("the answer is which letter?\nA. x\nB. y\nC. z\nD. w")),
        (user("Pick the first option.\nA. first\nB. second\nC. third"),),
    ]
    return [ChoiceRequest(key=f"r{i}", messages=d, choices=("A", "B", " C", "answer D")[: 2 + i % 3])
            for i, d in enumerate(dialogues)]


# ---------------------------------------------------------------------------------------------------- processor
def test_processor_renders_the_exact_official_single_turn_prompt(wings_dir):
    processor = WingsProcessor.from_pretrained(wings_dir)
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is it?"}]}]
    expected = (f"{SYSTEM}<|im_start|>user\n<image>\nWhat is it?<|im_end|>\n<|im_start|>assistant\n")
    assert processor.apply_chat_template(messages) == expected == build_prompt("What is it?", with_image=True)


def test_processor_renders_multi_turn_with_the_image_where_it_stands_in_turn_two(wings_dir):
    processor = WingsProcessor.from_pretrained(wings_dir)
    messages = [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A"},
                {"role": "user", "content": [{"type": "text", "text": "Look: "}, {"type": "image"},
                                             {"type": "text", "text": "Q2"}]}]
    assert processor.apply_chat_template(messages) == (
        f"{SYSTEM}<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n"
        "<|im_start|>user\nLook: <image>\nQ2<|im_end|>\n<|im_start|>assistant\n")
    system = [{"role": "system", "content": "Be brief."}] + messages[:1]
    assert processor.apply_chat_template(system).startswith("<|im_start|>system\nBe brief.<|im_end|>\n")


def test_processor_call_expands_each_image_and_batches_pixels_in_order(wings_dir):
    processor = WingsProcessor.from_pretrained(wings_dir)
    one = [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image"}, {"type": "image"}]}]
    two = [{"role": "user", "content": "text only"}]
    red, blue = Image.new("RGB", (8, 4), "red"), Image.new("RGB", (4, 8), "blue")
    out = processor([one, two], images=[red, blue])
    assert out["pixel_values"].shape == (2, 3, 32, 32)
    assert out["pixel_values"][0, 0, 16, 16] == 1.0 and out["pixel_values"][1, 2, 16, 16] == 1.0  # red, then blue
    assert int((out["input_ids"][0] == processor.image_token_id).sum()) == 2 * processor.image_seq_length == 32
    assert int((out["input_ids"][1] == processor.image_token_id).sum()) == 0
    assert out["attention_mask"][1].sum() < out["attention_mask"][0].sum() and out["attention_mask"][1, 0] == 1
    with pytest.raises(ValueError, match="more image parts"):
        processor([one], images=[red])


def test_processor_save_and_load_round_trip(wings_dir, tmp_path):
    processor = WingsProcessor.from_pretrained(wings_dir)
    processor.save_pretrained(tmp_path)
    loaded = WingsProcessor.from_pretrained(tmp_path)
    assert loaded.to_dict() == processor.to_dict() and loaded.to_dict()["image_seq_length"] == 16
    assert loaded.encode_text("the answer") == processor.encode_text("the answer")


# ------------------------------------------------------------------------------------------------------ scoring
def test_image_request_loglik_equals_a_manual_model_computation(wings, images):
    req = requests(images)[2]  # image in turn 2
    result = wings.score_choices([req])[0]
    processor, model = wings.processor, wings.model
    prompt = processor.apply_chat_template(
        [{"role": "user", "content": "Sum 2 + 3?\nA. 5\nB. 6"}, {"role": "assistant", "content": "A"},
         {"role": "user", "content": [{"type": "text", "text": "Look: "}, {"type": "image"},
                                      {"type": "text", "text": " which side?\nA. left\nB. right"}]}])
    pixels = processor.pixel_values([Image.open(images / "images/blue.png").convert("RGB")])
    for choice, loglik, n_tok in zip(req.choices, result.logliks, result.n_tokens):
        context = processor(text=prompt, images=[Image.new("RGB", (1, 1))])["input_ids"][0].tolist()
        cont = processor.encode_text(choice)
        ids = torch.tensor([context + cont])
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=ids, pixel_values=pixels).logits[0].float(), -1)
        manual = sum(float(logp[len(context) + k - 1, t]) for k, t in enumerate(cont))
        assert n_tok == len(cont)
        assert loglik == pytest.approx(manual, abs=1e-5)


def test_batch_sizes_one_and_four_give_identical_predictions_and_logliks(wings, images):
    reqs = requests(images)
    wings.batch_size = 1
    single = wings.score_choices(reqs)
    wings.batch_size = 4
    batched = wings.score_choices(reqs)
    wings.batch_size = 8
    for a, b in zip(single, batched):
        assert a.n_tokens == b.n_tokens
        assert max(abs(x - y) for x, y in zip(a.logliks, b.logliks)) <= 1e-5
        assert a.logliks.index(max(a.logliks)) == b.logliks.index(max(b.logliks))
    assert len({r.logliks for r in single}) == len(reqs)  # the scores actually differ between dialogues


def test_official_mode_marks_a_two_image_dialogue_not_applicable(wings, wings_official, images):
    two = (user(ImageRef(images, "images/red.png"), "first"), assistant("A"),
           user(ImageRef(images, "images/blue.png"), "second?"))
    assert wings_official.capabilities.max_images == 1 and wings.capabilities.max_images is None
    assert "2 images" in wings_official.accepts(two) and wings.accepts(two) is None
    with pytest.raises(ModelError, match="n/a"):
        wings_official.score_choices([ChoiceRequest("two", two, ("A", "B"))])
    assert len(wings.score_choices([ChoiceRequest("two", two, ("A", "B"))])[0].logliks) == 2
    assert wings_official.describe()["mode"] == "official" and wings.describe()["mode"] == "clean"


def test_official_and_clean_modes_score_an_image_dialogue_differently(wings, wings_official, images):
    req = requests(images)[1]
    assert wings.score_choices([req])[0].logliks != wings_official.score_choices([req])[0].logliks


def test_baseline_checkpoint_without_learners_loads_and_scores(tmp_path_factory, images):
    base = load_model(f"wings:{make_tiny_wings(tmp_path_factory.mktemp('llava'), use_learners=False)}")
    assert not any("pool" in n or "reweight" in n for n, _ in base.model.named_parameters())
    assert base.describe()["use_learners"] is False
    results = base.score_choices(requests(images)[:2])
    assert all(len(r.logliks) == len(q.choices) for r, q in zip(results, requests(images)[:2]))


def test_checkpoint_missing_learner_weights_is_an_error_not_a_random_init(tmp_path):
    directory = make_tiny_wings(tmp_path, use_learners=False)
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps({**config, "use_learners": True}))
    with pytest.raises(ModelError, match="lack 'model.layers.0.attn_pool"):
        load_model(f"wings:{directory}")


def test_describe_records_fingerprint_parameters_and_template_hash(wings, wings_dir):
    info = wings.describe()
    assert len(info["fingerprint"]) == 64 and info["parameters"] == sum(p.numel() for p in wings.model.parameters())
    assert info["dtype"] == "float32" and info["device"] == "cpu" and len(info["chat_template_hash"]) == 64
    assert wings.capabilities.images and wings.capabilities.generate and wings.capabilities.attention


# --------------------------------------------------------------------------------------- generation, attention
def test_generation_is_deterministic_and_batched_equals_unbatched(wings, images):
    reqs = [GenerateRequest(key=r.key, messages=r.messages, max_new_tokens=4 + i % 3)
            for i, r in enumerate(requests(images))]
    wings.batch_size = 1
    one = wings.generate(reqs)
    wings.batch_size = 4
    batched = wings.generate(reqs)
    again = wings.generate(reqs)
    wings.batch_size = 8
    assert one == batched == again
    assert any(r.text for r in one)


def test_head_summed_attention_rows_sum_to_the_head_count_and_are_causal(wings, images):
    req = requests(images)[1]
    att = wings.head_summed_attention(req)
    n = len(att.input_ids)
    assert len(att.layers) == 2 and all(a.shape == (n, n) for a in att.layers)
    assert sum(att.is_image) == 16
    for a in att.layers:
        assert torch.allclose(a.sum(-1), torch.full((n,), 4.0), atol=1e-4)  # 4 heads, each a distribution
        assert float(torch.triu(a, diagonal=1).abs().max()) == 0.0


# ---------------------------------------------------------------------------------------------------- wings-base
@pytest.fixture
def empty_hf_cache(monkeypatch, tmp_path):
    import huggingface_hub.constants as constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))


def test_wings_base_without_weights_offline_names_the_hub_id_and_the_flag(empty_hf_cache):
    with pytest.raises(ModelError) as err:
        load_model("wings-base")
    message = str(err.value)
    assert "AIDC-AI/Wings-Qwen1_5-8B" in message and "--model-args path=DIR" in message
    assert "huggingface-cli download AIDC-AI/Wings-Qwen1_5-8B" in message and "\n" not in message


def test_wings_base_without_weights_exits_2_from_the_cli(empty_hf_cache, tmp_path, capsys):
    from iitbench.cli.main import main

    data = make_dataset(tmp_path / "ds", per_config=1, configs=("T",))
    code = main(["run", "--model", "wings-base", "--suite", str(data), "--output", str(tmp_path / "run"),
                 "--no-progress"])
    assert code == 2 and "huggingface-cli download" in capsys.readouterr().err


def test_wings_base_with_a_wings_ref_dir_loads_it_as_a_checkpoint(wings_dir, images):
    base = load_model("wings-base", {"path": str(wings_dir)})
    assert base.describe()["mode"] == "clean"
    req = requests(images)[1]
    assert base.score_choices([req]) == load_model(f"wings:{wings_dir}").score_choices([req])


def test_wings_base_with_an_official_layout_dir_uses_load_official(wings_dir, tmp_path, monkeypatch):
    from safetensors.torch import save_file

    from wings_ref import WingsForConditionalGeneration

    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        (tmp_path / name).write_bytes((wings_dir / name).read_bytes())
    key = "model.vision_tower.vision_tower.vision_model.embeddings.patch_embedding.weight"
    save_file({key: torch.zeros(1)}, str(tmp_path / "model-00001-of-00001.safetensors"))
    calls = []

    def load_official(directory, mode, dtype, device, **placed):
        calls.append((str(directory), mode, dtype, device))
        return WingsForConditionalGeneration.from_pretrained(wings_dir, mode=mode)

    monkeypatch.setitem(sys.modules, "wings_ref.official", types.SimpleNamespace(load_official=load_official))
    base = load_model("wings-base", {"path": str(tmp_path)})
    assert calls == [(str(tmp_path), "official", torch.float32, "cpu")]
    assert base.describe()["mode"] == "official" and base.capabilities.max_images == 1
    assert base.capabilities.images and base.processor.image_seq_length == 16


# ---------------------------------------------------------------------------------------------------- end to end
def test_cli_run_on_a_dataset_with_text_and_image_turns_scores_every_config(wings_dir, tmp_path):
    from iitbench.cli.main import main

    data = make_dataset(tmp_path / "ds", per_config=2)
    out = tmp_path / "run"
    assert main(["run", "--model", f"wings:{wings_dir}", "--suite", str(data), "--output", str(out),
                 "--batch-size", "4", "--no-progress"]) == 0
    results = json.loads((out / "results.json").read_text())
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    configs = {"T", "TT", "TTT", "TTV", "TV", "V"}
    per_config = results["metrics"]["per_config"]
    assert set(per_config) == configs and all(per_config[c]["n"] == 2 and per_config[c]["n_na"] == 0 for c in configs)
    assert {s["config"] for s in samples} == configs and all(s["status"] == "ok" for s in samples)
    assert results["model"]["chat_template_hash"] and len(results["model"]["fingerprint"]) == 64


def _free_running_responses(wings_dir, data, out, args: str) -> list:
    from iitbench.cli.main import main

    assert main(["run", "--model", f"wings:{wings_dir}", "--model-args", args, "--suite", str(data), "--output",
                 str(out), "--mode", "free-running", "--free-running-source", "generate", "--no-progress"]) == 0
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    return sorted((r["id"], r["turn"], r.get("response"), r.get("prediction")) for r in records)


def test_official_free_running_generation_equals_the_same_run_without_a_cache(wings_dir, tmp_path):
    """Official mode with an image re-runs the sequence each step (the released decoding), whatever use_cache says."""
    data = make_dataset(tmp_path / "ds", per_config=2, configs=("TTV", "TV", "V"))
    cached = _free_running_responses(wings_dir, data, tmp_path / "cached", "mode=official")
    uncached = _free_running_responses(wings_dir, data, tmp_path / "uncached", "mode=official,use_cache=false")
    assert cached == uncached
    assert all(response for _, _, response, _ in cached)


def test_a_device_map_with_disk_offload_scores_like_the_plain_load(wings, wings_dir, images, tmp_path):
    split = {"model.embed_tokens": "cpu", "model.rotary_emb": "cpu", "model.vision_tower": "cpu",
             "model.mm_projector": "disk", "model.layers.0": "disk", "model.layers.1": "cpu", "model.norm": "cpu",
             "lm_head": "cpu"}
    (tmp_path / "map.json").write_text(json.dumps(split))
    spread = load_model(f"wings:{wings_dir}", {"device_map": str(tmp_path / "map.json"),
                                               "offload_folder": str(tmp_path / "offload")})
    assert spread.describe()["device_map"] == split and spread.device == "cpu"
    reqs = requests(images)
    got, want = spread.score_choices(reqs), wings.score_choices(reqs)
    # Same weights and ops; accelerate's offload hooks may change the fp32 kernel path (a 1e-6 difference was seen
    # on some CPUs), so equal token counts and log-likelihoods to fp32 rounding, not bit for bit.
    assert [r.n_tokens for r in got] == [r.n_tokens for r in want]
    for g, w in zip(got, want):
        assert g.logliks == pytest.approx(w.logliks, abs=1e-5)


def test_a_model_that_cannot_fit_is_a_one_line_error_before_loading(wings_dir, monkeypatch):
    from wings_ref import placement

    monkeypatch.setattr(placement, "free_bytes", lambda device: 1000)
    with pytest.raises(ModelError, match=r"GiB in float32 but cpu has 0\.0 GiB free; pass device_map=auto"):
        load_model(f"wings:{wings_dir}", {})


def test_a_bad_device_map_names_the_choices(wings_dir):
    with pytest.raises(ModelError, match="device_map='everywhere': use one of auto"):
        load_model(f"wings:{wings_dir}", {"device_map": "everywhere"})


def test_official_mode_refuses_a_window_beyond_the_released_model_max_length(wings_dir):
    with pytest.raises(ModelError, match="max_length=4096: official mode stops at 2048 positions"):
        load_model(f"wings:{wings_dir}", {"mode": "official", "max_length": 4096})
    assert load_model(f"wings:{wings_dir}", {"mode": "official", "max_length": 512}).window == 512
