"""Session-scoped tiny WINGS models, built once."""

from __future__ import annotations

import pytest
import torch

from tests.wings_ref.wings_tiny import randomise_learners, tiny_config
from wings_ref import WingsForConditionalGeneration


@pytest.fixture(scope="session")
def zero_init_model() -> WingsForConditionalGeneration:
    torch.manual_seed(0)
    return WingsForConditionalGeneration(tiny_config()).eval()


@pytest.fixture(scope="session")
def learned_model(zero_init_model) -> WingsForConditionalGeneration:
    """Same backbone as zero_init_model, with non-zero learners and router."""
    model = WingsForConditionalGeneration(tiny_config()).eval()
    model.load_state_dict(zero_init_model.state_dict())
    randomise_learners(model)
    return model


@pytest.fixture(scope="session")
def official_model(learned_model) -> WingsForConditionalGeneration:
    model = WingsForConditionalGeneration(tiny_config(mode="official")).eval()
    model.load_state_dict(learned_model.state_dict())
    return model
