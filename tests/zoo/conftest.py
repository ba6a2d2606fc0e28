"""Session fixtures for the zoo tests: one micro corpus and a tokenizer trained on it (seconds, not minutes)."""

import pytest

from iitbench.zoo.corpus import CorpusSpec, all_texts, build_corpus
from iitbench.zoo.tokenizer import train_tokenizer

MICRO = CorpusSpec(n_statements=6, n_single=6, n_multi=6, world_repeats=1, seed=0)


@pytest.fixture(scope="session")
def micro_spec():
    return MICRO


@pytest.fixture(scope="session")
def micro_corpus():
    return build_corpus(MICRO)


@pytest.fixture(scope="session")
def micro_tokenizer(micro_corpus):
    return train_tokenizer(all_texts(micro_corpus), vocab_size=600)
