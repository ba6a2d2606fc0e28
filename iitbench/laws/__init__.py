"""MLLM-LAWS: layer-wise attention mass on the text before an image, the image and the text after it, and the
attention-shift score (the WINGS paper, Zhang et al., NeurIPS 2024, arXiv:2406.03496, section 3; README "MLLM-LAWS").
`iitbench.laws.extract.attention_mass(adapter, requests, options)` computes the masses for any adapter that supports
it (`iitbench.models.protocol.SupportsAttention`); `iitbench.api.attention_shift` runs the whole analysis. Which
query rows are summed is `LawsOptions.queries` (default `all`, the paper's definition; README "the blind spot"), and
`iitbench.laws.reference` records a base LLM's curves on the same dialogues without the image.
"""

from iitbench.laws.protocol import LABEL_NAMES, LawsOptions, LawsRequest, LawsResult, Segments

__all__ = ["LABEL_NAMES", "LawsOptions", "LawsRequest", "LawsResult", "Segments"]
