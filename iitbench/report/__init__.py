"""Reports from run directories: the HTML page and its Markdown twin (`sections`, `html`, `markdown_doc`) and a run's
accuracy table (`markdown`). Reads files, not models, and not through the runner: run directories are read by
iitbench/run_files.py (re-exported here), their file names are the schema's (iitbench/schema.py)."""

from iitbench.report.markdown import fmt_acc, run_table
from iitbench.run_files import RunView, load_run

__all__ = ["RunView", "fmt_acc", "load_run", "run_table"]
