"""MLLM-LAWS: layer-wise attention mass on the text before an image, the image and the text after it, and the
attention-shift score (spec/laws.md). Adapters expose `attention_mass(requests, options)`; see `iitbench.laws.extract`.
"""

from iitbench.laws.protocol import LABEL_NAMES, LawsOptions, LawsRequest, LawsResult, Segments

__all__ = ["LABEL_NAMES", "LawsOptions", "LawsRequest", "LawsResult", "Segments"]
