"""The paper's multimodal evaluation suite beyond IIT: MME, ScienceQA-IMG, HallusionBench, MMBench (EN and CN),
loaded as the field loads them (`loaders`), scored with their own metrics (`metrics`), offline through synthetic twins
when the data is not at hand (`synth`), and run as `iitbench run --suite mme|...|paper-mm` (`suites`)."""

BENCHMARKS = ("mme", "scienceqa-img", "hallusionbench", "mmbench-en", "mmbench-cn")
PAPER_MM = "paper-mm"  # all of BENCHMARKS

__all__ = ["BENCHMARKS", "PAPER_MM"]
