"""iitbench: measure what multimodal training does to a language model.

IIT interleaved image-text dialogues, text-forgetting tests, MLLM-LAWS attention diagnostics and the WINGS
reference model. See README.md for the CLI and file formats.
"""

__version__ = "0.1.0"
