"""The runner: renders dialogues for an adapter, scores them in batches (teacher-forced or free-running), keeps an
append-only resumable sample log and writes results.json. See `session.run_dataset`."""

from iitbench.runner.engine import FREE_RUNNING_SOURCES, MODES, RunSettings
from iitbench.runner.identity import RUN_FILE, RunIdentity
from iitbench.runner.render import PromptFormat, parse_choice, render
from iitbench.runner.results import RESULTS_FILE
from iitbench.runner.samplelog import SAMPLES_FILE, SampleLog, read_records
from iitbench.runner.session import RunOutcome, run_dataset, select_items
from iitbench.schema import SCHEMA_VERSION

__all__ = ["FREE_RUNNING_SOURCES", "MODES", "RESULTS_FILE", "RUN_FILE", "SAMPLES_FILE", "SCHEMA_VERSION", "PromptFormat",
           "RunIdentity", "RunOutcome", "RunSettings", "SampleLog", "parse_choice", "read_records", "render",
           "run_dataset", "select_items"]
