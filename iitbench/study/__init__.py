"""Studies: many models x analyses (IIT run, text forgetting, LAWS variants) as one resumable command,
`iitbench study STUDY.yaml`; results laid out for `iitbench leaderboard`. See `iitbench.study.config`."""

from iitbench.study.config import LawsVariant, ModelEntry, Study, load_study

__all__ = ["LawsVariant", "ModelEntry", "Study", "load_study"]
