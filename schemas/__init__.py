"""Versioned Arrow schemas for loomery's records, rejects and manifest. Depends on pyarrow only."""

from schemas.document import DOCUMENT_METADATA_SCHEMA, DOCUMENT_SCHEMA, OBELICS_SCHEMA, check_interleaving
from schemas.manifest import MODEL_SCHEMA, REJECT_FILE_SCHEMA, SHARD_SCHEMA, check_manifest
from schemas.pair import PAIR_CONTRACT_SCHEMA, PAIR_METADATA_SCHEMA, PAIR_SCHEMA
from schemas.reject import REJECT_SCHEMA
from schemas.validate import SchemaError, validate_table
from schemas.version import SCHEMA_VERSION

__all__ = [
    "DOCUMENT_METADATA_SCHEMA",
    "DOCUMENT_SCHEMA",
    "MODEL_SCHEMA",
    "OBELICS_SCHEMA",
    "PAIR_CONTRACT_SCHEMA",
    "PAIR_METADATA_SCHEMA",
    "PAIR_SCHEMA",
    "REJECT_FILE_SCHEMA",
    "REJECT_SCHEMA",
    "SCHEMA_VERSION",
    "SHARD_SCHEMA",
    "SchemaError",
    "check_interleaving",
    "check_manifest",
    "validate_table",
]
