"""How an adapter offers LAWS: its own `attention_mass` (SupportsAttention), or a backend registered for its class;
the models package never imports laws (the dependency runs laws -> models)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iitbench import api
from iitbench.errors import ModelError
from iitbench.laws.extract import attention_mass, backend_for, hf_causal_attention_mass
from iitbench.laws.protocol import AFTER, BEFORE, IMAGE, LABEL_NAMES, LawsOptions, LawsResult, Segments
from iitbench.models import Adapter, Capabilities, ChoiceResult
from iitbench.models.hf_causal import HFCausalAdapter
from iitbench.models.protocol import SupportsAttention
from tests.runner.dataset_factory import make_dataset

N_LAYERS = 3


class PluginWithAttention(Adapter):
    """A third-party model that computes the masses itself: text after the image follows the text before it."""

    capabilities = Capabilities(images=True, attention=True)

    def score_choices(self, requests):
        return [ChoiceResult(logliks=tuple(0.0 for _ in r.choices), n_tokens=tuple(1 for _ in r.choices))
                for r in requests]

    def attention_mass(self, requests, options):
        out = []
        for i, req in enumerate(requests):
            masses = [[0.0] * N_LAYERS for _ in LABEL_NAMES]
            masses[BEFORE] = [1.0 + i, 2.0, 3.0 + i]
            masses[AFTER] = [3.0, 2.0 + i, 1.0]
            masses[IMAGE] = [0.5] * N_LAYERS
            out.append(LawsResult(key=req.key, segments=Segments(labels=(BEFORE, IMAGE, AFTER)),
                                  masses=tuple(tuple(m) for m in masses), n_queries=3))
        return out


class NoAttention(PluginWithAttention):
    capabilities = Capabilities(images=True, attention=False)


def test_a_plugin_that_implements_attention_mass_runs_the_whole_laws_analysis(tmp_path):
    adapter = PluginWithAttention()
    assert isinstance(adapter, SupportsAttention)
    data = make_dataset(tmp_path / "ds", per_config=3, configs=("TV", "V"))
    result = api.attention_shift(adapter, data, n_boot=100, output=tmp_path / "laws")
    assert result.summary["n_used"] == result.summary["n_samples"] == 6
    assert result.summary["curves"]["before"]["mean"][1] == pytest.approx(2.0)


def test_an_adapter_without_attention_is_a_one_line_model_error(tmp_path):
    data = make_dataset(tmp_path / "ds", per_config=1, configs=("V",))
    with pytest.raises(ModelError, match="cannot expose its attention"):
        api.attention_shift(NoAttention(), data, output=tmp_path / "laws")
    with pytest.raises(ModelError, match="cannot expose its attention"):
        attention_mass(NoAttention(), [], LawsOptions())


def test_subclasses_of_a_builtin_adapter_inherit_its_backend():
    class MyCausal(HFCausalAdapter):
        pass

    assert backend_for(MyCausal.__new__(MyCausal)) is hf_causal_attention_mass


def test_the_models_package_does_not_import_laws():
    root = Path(__file__).resolve().parents[2] / "iitbench" / "models"
    imports = re.compile(r"^\s*(from|import) iitbench\.laws", re.MULTILINE)
    offenders = [p.name for p in root.glob("*.py") if imports.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_sinks_exclude_relabels_the_first_token_and_dominant_columns_only():
    import torch

    from iitbench.laws.collect import _without_sinks, sink_positions
    from iitbench.laws.protocol import SINK

    cols = torch.tensor([[5.0, 1.0, 1.0, 3.0], [6.0, 1.0, 1.0, 0.5], [5.0, 1.0, 1.0, 3.0]])  # 3 layers, 4 tokens
    assert sink_positions(cols) == [0, 3]  # token 3 takes >= 20% of its layer's mass in 2 of 3 layers
    segments = _without_sinks(Segments(labels=(BEFORE, BEFORE, IMAGE, AFTER)), cols)
    assert segments.labels == (SINK, BEFORE, IMAGE, SINK)
