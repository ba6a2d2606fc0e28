"""The results files of a run directory, as TypedDicts: `results.json` (ResultsFile) and `samples.jsonl` lines
(SampleRecord). Every key has a one-line doc; bump SCHEMA_VERSION on any incompatible change.

The one definition of both: the runner writes them, and metrics, reports and the API read them with these types. It
imports nothing, so re-scoring and reporting stay light."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

SCHEMA_VERSION = 1

# The files of a run directory: written by the runner (iitbench/runner/), read by iitbench/run_files.py.
RUN_FILE = "run.json"  #: the run's identity (model, dataset, mode, ...): what a rerun must match to resume
RESULTS_FILE = "results.json"  #: ResultsFile, written when the run completes
SAMPLES_FILE = "samples.jsonl"  #: one SampleRecord a line, appended as the run goes


class SampleRecord(TypedDict):
    """One line of samples.jsonl: one (item, turn) that was scored or found not applicable."""

    id: str  #: item id
    config: str  #: the item's config, e.g. "TTV"
    turn: int  #: index of the turn within the dialogue
    scored: bool  #: this is the item's scored turn (the one the paper's accuracy counts)
    position: str  #: Item.position(turn): no-image | image-turn | after-image | before-image
    source: str  #: the turn's source, e.g. "synth.arith"
    mode: str  #: teacher-forced | free-running
    status: str  #: "ok" (scored) or "n/a" (the model cannot take this dialogue; never scored)
    reason: str | None  #: why "n/a", else null
    loglik: list[float]  #: log-likelihood of each candidate (empty when n/a)
    n_tokens: list[int]  #: token count of each candidate (empty when n/a)
    prediction: int | None  #: chosen option index (argmax loglik; free-running/generate: parsed reply, else argmax)
    prediction_norm: int | None  #: argmax of loglik / candidate length: UTF-8 bytes, characters for cloze (lm-eval)
    gold: int  #: the correct option index
    correct: bool | None  #: prediction == gold (null when n/a)
    correct_norm: bool | None  #: prediction_norm == gold (null when n/a)
    response: str | None  #: free-running: the context answer later turns see (null when teacher-forced or n/a)
    # Optional: written by every run since schema 1.1; records of older runs read back with null here.
    subject: NotRequired[str | None]  #: the turn's subject (MMLU's subject, HellaSwag's activity), when it has one
    category: NotRequired[str | None]  #: the subject's category (MMLU: stem, humanities, social_sciences, other)


#: SampleRecord keys added after the first release (`from __future__ import annotations` hides NotRequired from
#: TypedDict's own `__optional_keys__`, so they are listed here).
OPTIONAL_RECORD_KEYS = ("subject", "category")


class Accuracy(TypedDict):
    """Accuracy of a group of scored turns."""

    acc: float | None  #: fraction correct among applicable turns; null when n = 0
    acc_norm: float | None  #: the same with length-normalised predictions
    n: int  #: applicable (status "ok") turns
    n_na: int  #: not-applicable turns (excluded from n)
    stderr: float | None  #: sqrt(acc(1-acc)/(n-1)), lm-eval's convention; null when n < 2
    ci95: list[float] | None  #: Wilson 95% interval [lo, hi]; null when n = 0
    ci95_norm: list[float] | None  #: Wilson 95% interval of acc_norm
    # Only for groups holding subject-clustered records (MMLU): cluster-bootstrap intervals (metrics/clustered.py).
    ci95_cluster: NotRequired[list[float] | None]  #: 95% interval of acc, resampling whole subjects
    ci95_norm_cluster: NotRequired[list[float] | None]  #: the same for acc_norm
    n_clusters: NotRequired[int]  #: clusters resampled (MMLU subjects; other records count one each)


class Metrics(TypedDict):
    """Deterministic metrics, a pure function of samples.jsonl (`iitbench.metrics.compute_metrics`)."""

    per_config: dict[str, Accuracy]  #: by the item's config (scored turns)
    per_position: dict[str, Accuracy]  #: by the scored turn's position relative to the images
    per_source: dict[str, Accuracy]  #: by the scored turn's source
    per_turn: dict[str, Accuracy]  #: by turn index over every record (free-running scores every turn)
    overall: Accuracy  #: all scored turns
    per_category: NotRequired[dict[str, Accuracy]]  #: "<source>/<category>" (MMLU's four), when records have one


class ModelInfo(TypedDict):
    """The model that ran (from `Adapter.describe()`)."""

    name: str  #: the --model spec, e.g. "hf-causal:./my-llm"
    args: dict[str, Any]  #: the parsed --model-args (plus device when passed on)
    fingerprint: str  #: stable identity of class + args (+ weights where the adapter hashes them)
    parameters: int | None  #: parameter count, when known
    dtype: str | None  #: compute dtype, when relevant
    device: str | None  #: device the model ran on
    chat_template_hash: str | None  #: hash of the chat template used, when there is one


class DataInfo(TypedDict):
    """The dataset that ran."""

    name: str  #: dataset.json name (or the directory name)
    path: str  #: the dataset directory as given
    fingerprint: str  #: content hash of manifest + images
    n_items: int  #: items evaluated (after --limit)
    version: str  #: dataset.json version


class Settings(TypedDict):
    """How the run was made."""

    mode: str  #: teacher-forced | free-running
    free_running_source: str | None  #: score | generate (free-running only)
    batch_size: int  #: requests per adapter call (scores do not depend on it)
    seed: int  #: the run seed
    limit: int | None  #: first N items per config, or null for all
    prompt_hash: str  #: stable hash of prompt_format
    prompt_format: dict[str, str]  #: the PromptFormat strings and candidate kind


class Timings(TypedDict):
    """Wall-clock figures of the last invocation (not part of the metrics)."""

    wall_s: float  #: seconds from start to results
    turns_per_s: float | None  #: turns computed in this invocation per second
    computed: int  #: turns computed in this invocation (the rest came from the resume log)


class Provenance(TypedDict):
    """Where and with what the results were produced."""

    iitbench: str  #: iitbench version
    torch: str | None  #: installed torch version
    transformers: str | None  #: installed transformers version
    python: str  #: Python version
    git: str | None  #: git commit of the iitbench checkout, when it is one
    platform: str  #: OS and machine
    timings: Timings  #: wall time and throughput
    started: str  #: UTC start of the last invocation (ISO 8601)
    finished: str  #: UTC end of the last invocation (ISO 8601)


class ResultsFile(TypedDict):
    """results.json."""

    schema_version: int  #: SCHEMA_VERSION of this file
    model: ModelInfo  #: the model
    data: DataInfo  #: the dataset
    settings: Settings  #: the run settings
    metrics: Metrics  #: deterministic metrics
    provenance: Provenance  #: versions and timings
