"""Reports from run directories: the HTML page and its Markdown twin (`sections`, `html`, `markdown_doc`) and a run's
accuracy table (`markdown`). Reads files, not models."""

from iitbench.report.markdown import fmt_acc, run_table
from iitbench.report.runs import RunView, load_run

__all__ = ["RunView", "fmt_acc", "load_run", "run_table"]
