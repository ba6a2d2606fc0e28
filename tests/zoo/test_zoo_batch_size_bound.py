"""The README's batch-size promise on the shipped zoo models: identical predictions, log-likelihoods within 5e-5."""

from __future__ import annotations

import pytest

from iitbench import api

BOUND = 5e-5


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return api.build("synth", tmp_path_factory.mktemp("bs") / "data", configs="T,TV,TTV", per_config=3,
                     grouping="random")


@pytest.mark.parametrize("model", ["wings-tiny", "llava-tiny"])
def test_batch_sizes_1_and_16_agree_within_the_stated_bound(model, data, tmp_path):
    runs = [api.evaluate(model, data.root, batch_size=bs, output=tmp_path / str(bs), progress=False).samples()
            for bs in (1, 16)]
    pairs = list(zip(*runs))
    assert all(a["id"] == b["id"] and a["prediction"] == b["prediction"] for a, b in pairs)
    worst = max(abs(x - y) for a, b in pairs for x, y in zip(a["loglik"], b["loglik"]))
    assert worst <= BOUND
