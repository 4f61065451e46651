"""Names of the internal columns the runner and stages share. They never reach a shard."""

UNIT = "_unit"  # index of the input unit a record came from
SEQ = "_seq"  # position of the record in the whole input, across units: fixes output order
REJECT_STAGE = "_reject_stage"  # null while the record is alive
REJECT_REASON = "_reject_reason"
REJECT_SCORE = "_reject_score"
REJECT_THRESHOLD = "_reject_threshold"
REJECT_DETAIL = "_reject_detail"
DUP_OF = "_dup_of"
SECONDS_PREFIX = "_seconds:"  # `_seconds:{stage}` holds the stage's wall time for the unit
NODE_PREFIX = "_node:"  # `_node:{stage}` holds the Ray node that ran the stage on the unit

# Columns that hold payload bytes: cleared as soon as a record is rejected, so that rejected
# bytes (blocklist matches included) travel no further and are written nowhere.
PAYLOAD = ("image", "images")


def is_internal(name: str) -> bool:
    """True for run-internal columns, which are stripped before anything is written."""
    return name.startswith("_")
