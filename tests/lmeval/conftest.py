"""Session fixtures: a tiny Qwen2 directory, the exported IIT-synth text tasks, and one lm-eval run through the
bridge (hf-causal, no chat template) that several tests compare against."""

from __future__ import annotations

import pytest

from tests.fixtures.tiny_lm import make_tiny_qwen2

N_PER_FAMILY = 3
FAMILIES = ("arith", "world", "logic")
# Renders only the user text and a trailing space: the runner's prompt is then the raw lm-eval context, and the
# moved space makes the candidate " A", exactly lm-eval's target_delimiter + choice.
IDENTITY_TEMPLATE = ("{% for message in messages %}{{ message['content'] }}{% endfor %}"
                     "{% if add_generation_prompt %}{{ ' ' }}{% endif %}")


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    return make_tiny_qwen2(tmp_path_factory.mktemp("lmeval_tiny"))


@pytest.fixture(scope="session")
def tasks_dir(tmp_path_factory):
    from iitbench.lmeval.tasks import export_synth_tasks

    out = tmp_path_factory.mktemp("lmeval_tasks")
    export_synth_tasks(out, seed=0, n_per_family=N_PER_FAMILY, families=FAMILIES)
    return out


@pytest.fixture(scope="session")
def bridge_run(tiny_dir, tasks_dir):
    """lm-eval's simple_evaluate on the exported group with IitbenchLM(hf-causal, raw text)."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from iitbench.lmeval.lm import IitbenchLM

    lm = IitbenchLM(model=f"hf-causal:{tiny_dir}", plain_template=True, batch_size=5)
    return simple_evaluate(model=lm, tasks=["iitsynth_text"], task_manager=TaskManager(include_path=str(tasks_dir)),
                           log_samples=True)


@pytest.fixture(scope="session")
def logliks_of():
    """synth question id -> (per-choice (log-likelihood, is_greedy), acc) of an lm-eval run dict."""
    def extract(run) -> dict[str, tuple[list[tuple[float, bool]], float]]:
        return {s["doc"]["id"]: ([(float(r[0]), bool(r[1])) for r in s["filtered_resps"]], s["acc"])
                for ss in run["samples"].values() for s in ss}
    return extract


@pytest.fixture(scope="session")
def synth_setup() -> dict:
    """The exported families, questions per family and the identity template (for tests that rebuild the items)."""
    return {"families": FAMILIES, "n_per_family": N_PER_FAMILY, "identity_template": IDENTITY_TEMPLATE}
