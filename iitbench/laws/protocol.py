"""Typed requests, options and results of LAWS extraction (layer-wise attention mass per token segment)."""

from __future__ import annotations

from dataclasses import dataclass, field

from iitbench.errors import UserError
from iitbench.models.protocol import Message

HEAD_REDUCTIONS = ("sum", "mean")
SEGMENT_MODES = ("content", "all-text")
BACKENDS = ("auto", "eager")
SINK_MODES = ("include", "exclude")
#: Which query rows are summed. "all" is the paper's definition (every token of the prompt). With causal attention a
#: query before the image sees only text before it and its row sums to one, so under "all" a layer-independent part
#: of V_before's mass is fixed by normalisation alone (README "the blind spot"); "after-image" sums only the rows
#: from the first V_after token on (each sees V_before, the image and V_after), "answer" only the prompt's last token
#: (the row from which the answer's first token is predicted; `iitbench diagnose` reads its output there too).
QUERY_MODES = ("all", "after-image", "answer")
QUERY_SUFFIX = {"all": "", "after-image": "-after", "answer": "-answer"}  # analysis-variant names (study dirs)
QUERY_LABELS = {"all": "all query tokens (the paper's definition)",
                "after-image": "queries from the first V_after token on (they see V_before, the image and V_after)",
                "answer": "the answer position: the prompt's last token, from which the answer's first token is "
                          "predicted"}
#: Attention sinks: the sequence's first token, and any token that takes at least SINK_SHARE of its layer's
#: attention mass in at least half of the layers (such tokens absorb attention whatever their content).
SINK_SHARE = 0.2

# Per-token labels (uint8 in laws.npz). "between" = content text between two images; "marker" = image wrapper tokens
# (boi/eoi, <fake_token_around_image>, vision_start/end, row/col tags): never text, never image; "sink" = an attention
# sink taken out of its segment (`sinks="exclude"`).
OTHER, BEFORE, IMAGE, AFTER, BETWEEN, MARKER, SINK = range(7)
LABEL_NAMES = ("other", "before", "image", "after", "between", "marker", "sink")
CURVE_SEGMENTS = ("before", "image", "after")


@dataclass(frozen=True)
class LawsOptions:
    """How masses are computed; every field is recorded in laws_summary.json."""

    head_reduction: str = "sum"  # sum over heads (the official router) | mean
    per_query_norm: bool = False  # divide each mass by the sample's number of query tokens
    segments: str = "content"  # content: message text only | all-text: every non-image, non-marker token
    backend: str = "auto"  # auto: the adapter's memory-efficient path | eager: output_attentions reference
    batch_size: int = 1
    block_size: int | None = None  # query rows per block in the attention-interface backend (None: by memory)
    sinks: str = "include"  # include | exclude: attention-sink tokens (SINK_SHARE) leave their segment
    queries: str = "all"  # all (the paper's definition) | after-image | answer: which query rows are summed

    def __post_init__(self) -> None:
        checks = (("--head-reduction", self.head_reduction, HEAD_REDUCTIONS),
                  ("--segments", self.segments, SEGMENT_MODES), ("--backend", self.backend, BACKENDS),
                  ("--sinks", self.sinks, SINK_MODES), ("--queries", self.queries, QUERY_MODES))
        for flag, value, allowed in checks:
            if value not in allowed:
                raise UserError(f"{flag} {value!r}: use one of {', '.join(allowed)}")
        if self.batch_size < 1 or (self.block_size is not None and self.block_size < 1):
            raise UserError("--batch-size (and the block size) must be at least 1")

    @property
    def variant(self) -> str:
        """The analysis-variant name, e.g. `content-include-sum`, `all-text-exclude-mean-pq`, `content-include-sum-
        after`: the study's `laws-<variant>` directory suffix; the paper's queries (`all`) add nothing, so every
        earlier variant keeps its name."""
        return (f"{self.segments}-{self.sinks}-{self.head_reduction}" + ("-pq" if self.per_query_norm else "")
                + QUERY_SUFFIX[self.queries])


def query_start(labels: tuple[int, ...], mode: str) -> int:
    """First summed query position of a usable sample (the summed rows are always a suffix of the prompt):
    0 for `all`, the first V_after token for `after-image`, the last token for `answer`."""
    if mode == "all" or not labels:
        return 0
    if mode == "after-image":
        return labels.index(AFTER)  # usable samples have V_after (`segments._exclusion`)
    return len(labels) - 1


@dataclass(frozen=True)
class LawsRequest:
    """One rendered sample: the messages whose prompt (up to the assistant's reply) is analysed."""

    key: str
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class Segments:
    """Per-token segment labels of one rendered sample (positions in the model's input ids)."""

    labels: tuple[int, ...]  # one of OTHER..MARKER per token
    excluded: str | None = None  # why the sample has no shift (e.g. no content text after the image); None if usable

    @property
    def counts(self) -> dict[str, int]:
        return {name: self.labels.count(i) for i, name in enumerate(LABEL_NAMES)}

    def spans(self, label: int) -> list[tuple[int, int]]:
        """Maximal runs [start, end) of tokens with `label`."""
        out: list[tuple[int, int]] = []
        for pos, lab in enumerate(self.labels):
            if lab != label:
                continue
            if out and out[-1][1] == pos:
                out[-1] = (out[-1][0], pos + 1)
            else:
                out.append((pos, pos + 1))
        return out


@dataclass(frozen=True)
class LawsResult:
    """Per-layer attention mass of one sample on every label (rows in LABEL_NAMES order), fp32-accumulated."""

    key: str
    segments: Segments
    masses: tuple[tuple[float, ...], ...] = field(default_factory=tuple)  # [len(LABEL_NAMES)][n_layers]
    n_queries: int = 0
