"""Reports from run directories (Markdown now; HTML and plots plug in beside `markdown`). Reads files, not models."""

from iitbench.report.markdown import compare_table, fmt_acc, run_table
from iitbench.report.runs import RunView, load_run

__all__ = ["RunView", "compare_table", "fmt_acc", "load_run", "run_table"]
