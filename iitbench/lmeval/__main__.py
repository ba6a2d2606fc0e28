"""`python -m iitbench.lmeval ARGS`: lm-eval's own command line with the "iitbench" model registered.

    python -m iitbench.lmeval run --model iitbench --model_args model=hf-causal:DIR,plain_template=true \
        --tasks iitsynth_text --include_path TASKS_DIR

lm-eval 0.4.13 discovers models only from its built-in table and `@register_model` at import time (no entry-point
group), so the plain `lm_eval` command cannot load iitbench's model; this module imports it first.
"""

from __future__ import annotations

import sys


def main() -> None:
    from lm_eval.__main__ import cli_evaluate

    import iitbench.lmeval.lm  # noqa: F401 - registers "iitbench"

    sys.argv[0] = "lm_eval"
    cli_evaluate()


if __name__ == "__main__":
    main()
