"""`python run_with_test_adapters.py run ...` = `iitbench run ...` with the test adapters registered in-process
(no entry-point plug-in needed)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from adapters import ContextAdapter, TextOnlyAdapter  # noqa: E402

from iitbench.cli.main import main  # noqa: E402
from iitbench.models import MODELS  # noqa: E402

MODELS.register("context", ContextAdapter, origin="tests")
MODELS.register("text-only", TextOnlyAdapter, origin="tests")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
