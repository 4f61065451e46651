"""PII in captions and document text: redact it (default) or reject the record.

Adds ``pii_counts`` (a struct with one count per kind: email, phone, card, iban, ip). In
``redact`` mode the text column is rewritten with ``[EMAIL]``-style placeholders and nothing is
rejected; in ``reject`` mode a record with any PII is rejected (reason ``pii``) and its text is
left as it was (the rejects table holds no text). Detection rules: ``pii_patterns``.
"""

from __future__ import annotations

import pyarrow as pa

from engine.stage import Filter, Resources, Verdicts, set_columns
from filters.safety.pii_patterns import KINDS, find, redact

MODES = ("redact", "reject")
COUNTS = pa.struct([(kind, pa.int32()) for kind in KINDS])


class Pii(Filter):
    """Finds PII in ``column`` (``string`` or ``list<string>``) and redacts or rejects."""

    name = "pii"
    score_columns = {}

    def __init__(
        self,
        *,
        column: str = "caption",
        mode: str = "redact",
        kinds: tuple[str, ...] = KINDS,
        batch_size: int = 4096,
        name: str | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown PII kinds: {sorted(unknown)}; known: {KINDS}")
        super().__init__(name=name, resources=Resources(batch_size=batch_size))
        self.column = column
        self.mode = mode
        self.kinds = tuple(kinds)

    def __call__(self, batch: pa.Table) -> pa.Table:
        values = batch.column(self.column).to_pylist()
        counts, rewritten, verdicts = [], [], Verdicts()
        for value in values:
            items = value if isinstance(value, list) else [value]
            tally = dict.fromkeys(KINDS, 0)
            new_items = []
            for text in items:
                spans = find(text, self.kinds) if text else []
                for _, _, kind in spans:
                    tally[kind] += 1
                new_items.append(redact(text, spans) if spans else text)
            counts.append(tally)
            rewritten.append(new_items if isinstance(value, list) else new_items[0])
            found = float(sum(tally.values()))
            if self.mode == "reject" and found:
                verdicts.reject("pii", found, 0.0, ", ".join(f"{k}={v}" for k, v in tally.items() if v))
            else:
                verdicts.keep(found)
        new = {"pii_counts": pa.array(counts, COUNTS)}
        if self.mode == "redact":
            new[self.column] = pa.array(rewritten, batch.schema.field(self.column).type)
        return self.verdict(set_columns(batch, new), **verdicts.columns())
