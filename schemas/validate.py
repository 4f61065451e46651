"""Check that a table matches a schema, with errors that name the column and the record."""

import pyarrow as pa


class SchemaError(ValueError):
    """A table does not match its schema; the message names the column and, where known, the key."""


def validate_table(table: pa.Table, schema: pa.Schema, *, allow_extra: bool = True) -> None:
    """Raise SchemaError unless every field of ``schema`` is in ``table`` with its type and nullability.

    Extra columns are allowed by default, since stages add their own.
    """
    keys = table.column("key") if "key" in table.column_names else None
    for field in schema:
        if field.name not in table.column_names:
            raise SchemaError(f"column {field.name!r} is missing (expected {field.type})")
        column = table.column(field.name)
        if not column.type.equals(field.type):
            raise SchemaError(
                f"column {field.name!r} has type {column.type}, expected {field.type}"
            )
        if not field.nullable and column.null_count:
            row = next(i for i, v in enumerate(column.is_null().to_pylist()) if v)
            raise SchemaError(
                f"column {field.name!r} is null in record {_describe(keys, row)}"
                " but the schema forbids nulls"
            )
    if not allow_extra:
        extra = [c for c in table.column_names if c not in schema.names]
        if extra:
            raise SchemaError(f"unexpected column(s): {', '.join(extra)}")


def _describe(keys: pa.ChunkedArray | None, row: int) -> str:
    if keys is None or keys[row].as_py() is None:
        return f"#{row}"
    return f"#{row} (key {keys[row].as_py()!r})"
