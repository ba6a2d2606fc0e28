"""Build IIT dialogue datasets from source questions: config grammar, semantic grouping, assembly, writing, suites.

Nothing here needs torch unless the embedding grouping runs (sentence-transformers is imported lazily).
"""

from iitbench.datasets.assemble import assemble
from iitbench.datasets.grammar import DEFAULT_CONFIGS, parse_configs
from iitbench.datasets.write import write_build

__all__ = ["DEFAULT_CONFIGS", "assemble", "parse_configs", "write_build"]
