"""Sinks: where kept records are written."""

from engine.sinks.base import ShardPart, Sink
from engine.sinks.webdataset import WebDatasetSink

__all__ = ["ShardPart", "Sink", "WebDatasetSink"]
