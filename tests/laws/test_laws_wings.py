"""WINGS: the native head-summed backend and the eager backend against the adapter's full per-layer maps."""

from __future__ import annotations

import pytest
import torch

from iitbench.laws.extract import attention_mass
from iitbench.laws.protocol import AFTER, BEFORE, IMAGE, LawsOptions
from iitbench.laws.wings_backend import prepare_wings
from iitbench.models.protocol import GenerateRequest
from tests.laws.helpers import masses_from_weights, two_requests


@pytest.mark.parametrize("backend", ["auto", "eager"])
def test_wings_padded_batch_masses_equal_full_head_summed_maps(backend, wings_adapter, image_root):
    requests = two_requests(image_root)
    results = attention_mass(wings_adapter, requests, LawsOptions(batch_size=2, backend=backend))
    for req, res in zip(requests, results):
        assert res.segments.excluded is None
        full = wings_adapter.head_summed_attention(GenerateRequest(req.key, req.messages))
        assert list(full.input_ids) == [int(x) for x in prepare_wings(wings_adapter, [req], LawsOptions())[0].ids]
        expected = masses_from_weights(list(full.layers), res.segments.labels)
        torch.testing.assert_close(torch.tensor(res.masses, dtype=torch.float64), expected, rtol=1e-5, atol=1e-5)


def test_wings_segments_cover_exactly_the_content_text(wings_adapter, image_root):
    req = two_requests(image_root)[1]
    row = prepare_wings(wings_adapter, [req], LawsOptions())[0]
    labels = row.segments.labels
    tok = wings_adapter.processor.tokenizer
    text = lambda label: tok.decode([t for t, lab in zip(row.ids, labels) if lab == label])  # noqa: E731
    assert text(BEFORE) == "Hello there, look at this picture"
    assert text(AFTER) == "Name the colour of it, please, in a single word, then stop.redAnd the shape?"
    assert labels.count(IMAGE) == wings_adapter.processor.image_seq_length
    assert row.segments.spans(IMAGE) == [(labels.index(IMAGE), labels.index(IMAGE) + labels.count(IMAGE))]


def test_excluded_sinks_move_mass_out_of_their_segment_and_nothing_else(wings_adapter, image_root):
    from iitbench.laws.protocol import SINK

    requests = two_requests(image_root)
    kept = attention_mass(wings_adapter, requests, LawsOptions())
    dropped = attention_mass(wings_adapter, requests, LawsOptions(sinks="exclude"))
    for with_sinks, without in zip(kept, dropped):
        assert SINK in without.segments.labels and SINK not in with_sinks.segments.labels
        assert without.segments.labels[0] == SINK
        total = torch.tensor(with_sinks.masses).sum(0)  # the same attention, redistributed over labels
        torch.testing.assert_close(torch.tensor(without.masses).sum(0), total)
        moved = [i for i, (a, b) in enumerate(zip(with_sinks.segments.labels, without.segments.labels)) if a != b]
        assert moved and all(without.segments.labels[i] == SINK for i in moved)
