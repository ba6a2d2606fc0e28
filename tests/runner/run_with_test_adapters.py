"""`python -m tests.runner.run_with_test_adapters run ...` (from the repository root) = `iitbench run ...` with the
test adapters registered in-process (no entry-point plug-in needed)."""

import sys

from iitbench.cli.main import main
from iitbench.models import MODELS
from tests.runner.adapters import ContextAdapter, TextOnlyAdapter

MODELS.register("context", ContextAdapter, origin="tests")
MODELS.register("text-only", TextOnlyAdapter, origin="tests")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
