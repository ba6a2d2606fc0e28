"""Typed dialogue model, dataset manifests, safe image loading and fingerprints (no torch needed)."""

from iitbench.data.manifest import Dataset, load_dataset_dir, write_dataset
from iitbench.data.types import DatasetCard, ImageBlob, ImagePart, Item, Question, TextPart, Turn

__all__ = ["Dataset", "DatasetCard", "ImageBlob", "ImagePart", "Item", "Question", "TextPart", "Turn",
           "load_dataset_dir", "write_dataset"]
