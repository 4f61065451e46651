"""Filters: every check that decides which records are kept. Import from here in job files."""

from filters.caption import CaptionJunk, CaptionLength, junk_reason
from filters.exact_dedup import ExactDuplicates
from filters.image import AspectRatio, ImageSize, ProbeImage

__all__ = [
    "AspectRatio",
    "CaptionJunk",
    "CaptionLength",
    "ExactDuplicates",
    "ImageSize",
    "ProbeImage",
    "junk_reason",
]
