"""Schema version: bump the major number on any change that breaks readers of old shards."""

SCHEMA_VERSION = "1.0"
