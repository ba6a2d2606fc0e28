"""The Python API: every `iitbench` command is argument parsing + one of these calls + printing.

    from iitbench import api

    data = api.build("synth", "data/iit", configs="T,TV", per_config=20)
    run = api.evaluate("wings-tiny", "data/iit", output="runs/wings-tiny")
    run.to_pandas("configs")                                    # accuracy per config, with 95% CIs
    fg = api.forgetting("llava-tiny", "base-tiny", output="runs/forgetting-llava")
    fg.delta, fg.to_pandas("items")                             # paired per item
    laws = api.attention_shift("wings-tiny", "data/iit", limit=20, output="runs/laws-wings")
    laws.shift, laws.to_pandas("layers")
    api.report(["runs/wings-tiny", "runs/forgetting-llava", "runs/laws-wings"], "report.html")
    mme = api.evaluate("wings-tiny", "mme", output="runs/mme-wings")   # a paper benchmark: mme.metrics["benchmark"]
    api.compare_benchmark("runs/mme-wings", "runs/mme-llava")         # paired differences with bootstrap CIs

Models are names/specs ("wings-tiny", "hf-causal:DIR", ...) with their arguments, or adapter instances. Results are
typed objects that wrote the same files as the CLI (`RunResults.load(dir)` etc. read them back). Bad input raises
`iitbench.errors.UserError` (the CLI's exit code 2) with a one-line message.
"""

from iitbench.api.build import build
from iitbench.api.diagnose import DiagnoseResults, diagnose
from iitbench.api.evaluate import evaluate, evaluate_suites
from iitbench.api.forgetting import forgetting
from iitbench.api.laws import attention_shift, compare_shifts
from iitbench.api.report import report
from iitbench.api.results import ForgettingResults, LawsResults, ReportOutput, RunResults, ShiftComparison
from iitbench.mmsuite.compare import compare_runs as compare_benchmark

__all__ = ["DiagnoseResults", "ForgettingResults", "LawsResults", "ReportOutput", "RunResults", "ShiftComparison",
           "attention_shift", "build", "compare_benchmark", "compare_shifts", "diagnose", "evaluate", "evaluate_suites",
           "forgetting", "report"]
