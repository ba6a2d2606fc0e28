"""Segments: marker tokens (Idefics3), all-text mode, exclusions, templates that trim text, the causal path."""

from __future__ import annotations

from iitbench.laws.extract import attention_mass
from iitbench.laws.hf_inputs import prepare_vlm
from iitbench.laws.protocol import AFTER, BEFORE, IMAGE, MARKER, OTHER, LawsOptions, LawsRequest
from iitbench.laws.segments import content_layout, label_tokens
from iitbench.models import ImageRef
from tests.laws.helpers import two_requests, user


def _decoded(adapter, row, label):
    return adapter.tokenizer.decode([t for t, lab in zip(row.ids, row.segments.labels) if lab == label])


def test_idefics3_markers_are_neither_image_nor_text(vlm_adapter, image_root):
    adapter = vlm_adapter("idefics3")
    row = prepare_vlm(adapter, two_requests(image_root)[:1], LawsOptions())[0]
    tokens = adapter.tokenizer.convert_ids_to_tokens(list(row.ids))
    marked = {tok for tok, lab in zip(tokens, row.segments.labels) if lab == MARKER}
    assert "<fake_token_around_image>" in marked and "<global-img>" in marked and "<row_1_col_1>" in marked
    assert {tok for tok, lab in zip(tokens, row.segments.labels) if lab == IMAGE} == {"<image>"}
    assert _decoded(adapter, row, BEFORE) == "What is this?"
    assert _decoded(adapter, row, AFTER) == "One word."


def test_all_text_counts_template_tokens_but_never_markers(vlm_adapter, image_root):
    adapter = vlm_adapter("idefics3")
    req = two_requests(image_root)[:1]
    content = prepare_vlm(adapter, req, LawsOptions())[0].segments
    every = prepare_vlm(adapter, req, LawsOptions(segments="all-text"))[0].segments
    assert OTHER not in every.labels and every.counts["marker"] == content.counts["marker"] > 0
    assert every.counts["before"] > content.counts["before"] and every.counts["after"] > content.counts["after"]
    first_image = min(i for i, lab in enumerate(every.labels) if lab in (IMAGE, MARKER))
    assert set(every.labels[:first_image]) == {BEFORE}


def test_samples_without_text_on_both_sides_are_excluded_with_a_reason(vlm_adapter, image_root):
    adapter = vlm_adapter("gemma3")
    img = ImageRef(image_root, "red.png")
    requests = [LawsRequest("first", (user(img, "after only"),)), LawsRequest("text", (user("no image at all"),)),
                LawsRequest("ok", (user("before", img, "after"),))]
    results = attention_mass(adapter, requests, LawsOptions())
    assert [r.segments.excluded for r in results] == ["no content text before the first image",
                                                      "no image in the sample", None]
    assert results[0].masses == () and len(results[2].masses[0]) == 2


def test_template_that_trims_text_still_places_content():
    texts = {"a": "  padded text  "}

    def render(messages):
        return "<s>" + "|".join(p.text.strip() if hasattr(p, "text") else "<img>" for m in messages
                                for p in m.parts) + "</s>"

    messages = (user(texts["a"], ImageRef(".", "x.png"), "tail"),)
    layout = content_layout(render, messages)
    assert not isinstance(layout, str) and layout.texts == ("padded text", "tail")
    prompt = layout.prompt
    offsets = [(i, i + 1) for i in range(len(prompt))]  # one token per character
    ids = [9 if prompt[i:i + 5] == "<img>" else 1 for i in range(len(prompt))]
    seg = label_tokens(ids, offsets, prompt, layout, 9, frozenset(), "content")
    assert "".join(prompt[i] for i, lab in enumerate(seg.labels) if lab == BEFORE) == "padded text"
    assert seg.excluded is None


def test_template_that_rewrites_text_excludes_instead_of_guessing():
    messages = (user("hello", ImageRef(".", "x.png"), "world"),)
    layout = content_layout(lambda ms: "".join(p.text.upper() for m in ms for p in m.parts if hasattr(p, "text")),
                            messages)
    assert isinstance(layout, str) and "rewrites" in layout
