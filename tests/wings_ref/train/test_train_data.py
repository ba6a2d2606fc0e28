"""LLaVA data for the trainer: answer-only labels, image tokens, truncation counts, one-line errors for bad input."""

from __future__ import annotations

import json

import pytest
import torch

from tests.wings_ref.train.train_tiny import IM_END, IMAGE_ID, byte_tokenizer, image_root, sample_records, write_jsonl
from wings_ref.train.data import IGNORE_INDEX, ChatEncoding, WingsCollator, build_sft_dataset
from wings_ref.train.errors import TrainDataError
from wings_ref.train.trainer import answer_token_loss

IMAGE_LEN = 16


@pytest.fixture(scope="module")
def fmt() -> ChatEncoding:
    tok = byte_tokenizer()
    return ChatEncoding(lambda s: tok(s, add_special_tokens=False)["input_ids"], IMAGE_ID, IMAGE_LEN)


def build(tmp_path, records, fmt, max_length=512, skip=False):
    path = write_jsonl(tmp_path / "d.jsonl", records)
    return build_sft_dataset(path, image_root(), fmt, 32, max_length, skip)


def decode(ids) -> str:
    return byte_tokenizer().decode([i for i in ids if i != IMAGE_ID])


def test_labels_cover_only_answers_and_their_end_of_turn(tmp_path, fmt):
    dataset, _ = build(tmp_path, sample_records(), fmt)
    two_turn = next(s for s in dataset.samples if s.record_id == "r3")
    learned = [i for i, label in zip(two_turn.input_ids, two_turn.labels) if label != IGNORE_INDEX]
    assert decode(learned) == "6<|im_end|>Yes.<|im_end|>"
    for sample in dataset.samples:  # labels equal the ids wherever they are not masked
        assert all(label in (IGNORE_INDEX, i) for i, label in zip(sample.input_ids, sample.labels))
        assert sample.labels[-1] == IGNORE_INDEX and sample.input_ids[-2] == IM_END  # trailing "\n" not learned


def test_image_placeholder_becomes_image_tokens_at_the_front_of_the_turn(tmp_path, fmt):
    dataset, report = build(tmp_path, sample_records(), fmt)
    image_sample = dataset.samples[0]
    assert image_sample.input_ids.count(IMAGE_ID) == IMAGE_LEN
    text = decode(image_sample.input_ids)
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n\nWhat")
    first = image_sample.input_ids.index(IMAGE_ID)
    assert first == fmt.system_prompt_len()
    assert dataset[0]["pixel_values"].shape == (3, 32, 32) and dataset[1]["pixel_values"] is None
    assert (report.n_samples, report.n_image_samples) == (8, 4)


def test_loss_ignores_prompt_targets(tmp_path, fmt):
    dataset, _ = build(tmp_path, sample_records(4), fmt)
    batch = WingsCollator(256)([dataset[i] for i in range(4)])
    logits = torch.randn(*batch["input_ids"].shape, 264, generator=torch.Generator().manual_seed(0))
    out = type("Out", (), {"logits": logits})
    base = answer_token_loss(out, batch["labels"])
    ids, labels = batch["input_ids"], batch["labels"]
    prompt = ((labels == IGNORE_INDEX) & (batch["attention_mask"] == 1)).nonzero()
    prompt = prompt[prompt[:, 1] > 0]
    perturbed = logits.clone()  # raise the logit of every prompt/system/image token where it is the target
    perturbed[prompt[:, 0], prompt[:, 1] - 1, ids[prompt[:, 0], prompt[:, 1]]] += 5.0
    assert len(prompt) > 100
    assert torch.allclose(answer_token_loss(type("O", (), {"logits": perturbed}), labels), base)
    answer = (labels != IGNORE_INDEX).nonzero()
    moved = logits.clone()  # the same change on one answer target does move the loss
    moved[answer[0, 0], answer[0, 1] - 1, ids[answer[0, 0], answer[0, 1]]] += 5.0
    assert answer_token_loss(type("O", (), {"logits": moved}), labels) < base


def test_collator_pads_right_and_stacks_images_in_order(tmp_path, fmt):
    dataset, _ = build(tmp_path, sample_records(4), fmt)
    items = [dataset[i] for i in range(4)]
    batch = WingsCollator(256)(items)
    assert batch["pixel_values"].shape == (2, 3, 32, 32)
    assert torch.equal(batch["pixel_values"][1], items[2]["pixel_values"])
    row = 1
    n = len(items[row]["input_ids"])
    assert batch["attention_mask"][row].sum() == n and (batch["input_ids"][row, n:] == 256).all()
    assert (batch["labels"][row, n:] == IGNORE_INDEX).all()


def test_truncation_is_counted(tmp_path, fmt, caplog):
    records = sample_records(4)
    records[1]["conversations"][1]["value"] = "long answer " * 20
    dataset, report = build(tmp_path, records, fmt, max_length=110)
    assert report.truncated == ("r1",) and report.to_dict()["truncated_count"] == 1
    assert max(len(s.input_ids) for s in dataset.samples) == 110
    assert "1 sample(s) truncated" in caplog.text


BAD_CASES = {
    "no_assistant": ({"id": "x", "conversations": [{"from": "human", "value": "hi"}]}, "no assistant"),
    "image_without_placeholder": ({"id": "x", "image": "img0.png", "conversations": [
        {"from": "human", "value": "hi"}, {"from": "gpt", "value": "a"}]}, "0 <image> placeholders"),
    "placeholder_without_image": ({"id": "x", "conversations": [
        {"from": "human", "value": "<image>\nhi"}, {"from": "gpt", "value": "a"}]}, "has no 'image'"),
    "missing_image": ({"id": "x", "image": "nope.png", "conversations": [
        {"from": "human", "value": "<image>\nhi"}, {"from": "gpt", "value": "a"}]}, "is missing"),
    "unreadable_image": ({"id": "x", "image": "broken.png", "conversations": [
        {"from": "human", "value": "<image>\nhi"}, {"from": "gpt", "value": "a"}]}, "is unreadable"),
    "absolute_image": ({"id": "x", "image": "/etc/passwd", "conversations": [
        {"from": "human", "value": "<image>\nhi"}, {"from": "gpt", "value": "a"}]}, "is absolute"),
    "escaping_image": ({"id": "x", "image": "../../x.png", "conversations": [
        {"from": "human", "value": "<image>\nhi"}, {"from": "gpt", "value": "a"}]}, "escapes image_root"),
    "malformed_line": ('{"id": "x", "conversations": [', "malformed JSON"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_record_gives_one_line_error_naming_file_and_record(tmp_path, fmt, case):
    record, expected = BAD_CASES[case]
    with pytest.raises(TrainDataError) as info:
        build(tmp_path, sample_records(2) + [record], fmt)
    message = str(info.value)
    assert "\n" not in message and expected in message
    assert "d.jsonl:3" in message and "skip_bad_records" in message
    if case != "malformed_line":
        assert "record x" in message


def test_malformed_json_list_names_the_line(tmp_path, fmt):
    path = tmp_path / "d.json"
    path.write_text('[\n{"id": 1},\n{oops}\n]', encoding="utf-8")
    with pytest.raises(TrainDataError, match=r"d\.json:3: malformed JSON"):
        build_sft_dataset(path, image_root(), fmt, 32, 512, True)


def test_skip_mode_counts_and_lists_bad_records(tmp_path, fmt):
    bad = [BAD_CASES["no_assistant"][0], BAD_CASES["missing_image"][0], BAD_CASES["malformed_line"][0]]
    dataset, report = build(tmp_path, sample_records(3) + bad, fmt, skip=True)
    assert len(dataset) == 3 and report.to_dict()["skipped_count"] == 3
    listed = report.to_dict()["skipped"]
    assert [m.split(" ")[0].rsplit(":", 1)[1] for m in listed] == ["4", "5", "6"]
    assert "no assistant" in listed[0] and "is missing" in listed[1] and "malformed JSON" in listed[2]


def test_json_list_file_with_text_only_and_image_records_loads(tmp_path, fmt):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(sample_records(5)), encoding="utf-8")
    dataset, report = build_sft_dataset(path, image_root(), fmt, 32, 512, False)
    assert len(dataset) == 5 and report.n_image_samples == 3


def test_max_length_that_cuts_the_image_is_a_bad_record(tmp_path, fmt):
    with pytest.raises(TrainDataError, match="cuts through the image tokens"):
        build(tmp_path, sample_records(1), fmt, max_length=50)
    _, report = build(tmp_path, sample_records(2), fmt, max_length=74, skip=True)  # image kept, answer cut off
    assert report.n_samples == 1 and "record r0" in report.skipped[0].message()
    assert "no answer token left" in report.skipped[0].message()
