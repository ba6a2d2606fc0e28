"""Suffix-pass padding (issue 20): a batch's candidate rows are sorted by length and cut into passes of similar
width (`prefix_share.split_rows`), so HellaSwag-like options of very different lengths are not all padded to the
longest; scores still equal the naive path and do not depend on the batch size or on the split."""

from __future__ import annotations

import functools

import pytest

from iitbench.models import load_model, prefix_share
from iitbench.models.prefix_share import split_rows
from iitbench.models.protocol import TextScoreRequest

TOL = 1e-5


def test_split_rows_covers_every_row_once_sorted_by_length():
    lengths = [3, 14, 2, 15, 3, 13, 2, 16]
    passes = split_rows(lengths, pass_cost=4)
    assert sorted(r for p in passes for r in p) == list(range(len(lengths)))
    assert len(passes) == 2  # the short rows and the long rows
    widths = [max(lengths[r] for r in p) for p in passes]
    assert sum(len(p) * w for p, w in zip(passes, widths)) < len(lengths) * max(lengths)
    assert split_rows(lengths, pass_cost=10**9) == [sorted(range(8), key=lambda r: (lengths[r], r))]
    assert split_rows([5] * 6, pass_cost=1) == [list(range(6))]  # equal lengths: no padding to save
    assert split_rows([], pass_cost=4) == []


def _requests() -> list[TextScoreRequest]:
    reqs = []
    for q in range(6):  # short shared contexts, options from one word to a long sentence
        ctx = f"Question {q}: the man picks up the ladder and"
        opts = [" climbs.", " walks " + "slowly across the wide green field " * (1 + q % 3) + "to the barn.",
                " falls down the stairs while the dog barks loudly at the cat.", " sits" + " down" * q + "."]
        reqs += [TextScoreRequest(key=f"{q}/{i}", context=ctx, continuation=o) for i, o in enumerate(opts)]
    return reqs


@pytest.fixture(scope="module")
def adapters(tiny_lm):
    def get(sharing: bool, batch_size: int):
        return load_model(f"hf-causal:{tiny_lm}", {"dtype": "float32", "prefix_sharing": sharing,
                                                   "batch_size": batch_size})
    return get


def test_split_suffix_passes_pad_less_and_score_as_the_naive_path(adapters, monkeypatch):
    reqs = _requests()
    naive = [r.loglik for r in adapters(False, 4).score_text(reqs)]
    widths: list[tuple[int, int, int]] = []  # (rows, width, real tokens) per suffix forward
    one = prefix_share._one_suffix_pass

    def spy(model, seqs, rows, chunk, *args, **kwargs):
        lengths = [len(seqs[i].ids) - 1 - len(chunk[g].prefix) for g, i in rows]
        widths.append((len(rows), max(lengths), sum(lengths)))
        return one(model, seqs, rows, chunk, *args, **kwargs)

    monkeypatch.setattr(prefix_share, "_one_suffix_pass", spy)
    padded = {}
    for name, cost in (("one pass", 10**9), ("split", 4)):
        monkeypatch.setattr(prefix_share, "suffix_pass", functools.partial(prefix_share.suffix_pass, pass_cost=cost))
        for batch_size in (1, 3, 6):
            widths.clear()
            got = [r.loglik for r in adapters(True, batch_size).score_text(reqs)]
            assert max(abs(a - b) for a, b in zip(got, naive, strict=True)) <= TOL, (name, batch_size)
            padded[(name, batch_size)] = (sum(n * w for n, w, _ in widths), sum(t for *_, t in widths))
        monkeypatch.undo()
        monkeypatch.setattr(prefix_share, "_one_suffix_pass", spy)
    for batch_size in (3, 6):  # same real tokens, fewer padded positions
        (one_pos, real), (split_pos, real2) = padded[("one pass", batch_size)], padded[("split", batch_size)]
        assert real == real2 and real <= split_pos < one_pos, padded
