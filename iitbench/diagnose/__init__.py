"""Rival predictors of text forgetting (`iitbench diagnose`), for an MLLM against its base LLM.

The field doubts that the attention shift (MLLM-LAWS, `iitbench.laws`) predicts text forgetting; these are its
rivals, each computed exactly and memory-bounded like LAWS, so a study can ask which one tracks forgetting:

- output-distribution shift on text at the answer position: KL and JS of the next-token distributions
  (`divergence`; Zhu et al., arXiv:2510.08564);
- hidden-state drift per layer: linear CKA of the two models' answer-position states on the same text (`cka`);
- weight drift per layer: the relative Frobenius change of the LLM's matrices (`weights`);
- text-image representation mixing per layer, on IIT dialogues: cosine of mean image and text states (`mixing`).

`iitbench.api.diagnose` runs them (`pipeline`), `assemble` documents and writes diagnose.json (schema version 1),
`results.DiagnoseResults` reads them back as DataFrames.
"""

from iitbench.diagnose.options import PREDICTORS, DiagnoseOptions, NotComputable

__all__ = ["PREDICTORS", "DiagnoseOptions", "NotComputable"]
