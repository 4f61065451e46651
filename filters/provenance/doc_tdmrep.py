"""DocTdmRepFile: the ``/.well-known/tdmrep.json`` of each document's own host.

A document from a WARC was fetched by someone else, but its host's TDMRep file still speaks
for it: this stage asks each host once per worker (the fetcher's per-origin cache, the
robots.txt cache's machinery) through the safe fetcher, folds the answer into
``metadata.rights`` (``tdm`` lines, ``tdm_reserved``) and rejects reserved documents with
reason ``tdm_reservation``. Cost: one small request per distinct host per worker (as for
robots.txt), none per document beyond a cache lookup.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

import pyarrow as pa

from engine.consent.tdmrep import TdmVerdict
from engine.fetch import Fetcher, FetchPolicy
from engine.stage import Filter, Resources, set_columns

MAX_IN_FLIGHT = 64


class DocTdmRepFile(Filter):
    """Check each document's host ``tdmrep.json`` (see the module docstring). ``respect=False``
    records the evidence without rejecting."""

    name = "doc_tdmrep"
    resources = Resources(num_cpus=0.5, batch_size=None)

    def __init__(self, policy: FetchPolicy | None = None, *, respect: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy or FetchPolicy()
        self.respect = respect
        self._fetcher: Fetcher | None = None

    def setup(self) -> None:
        self._fetcher = Fetcher(self.policy)

    def close(self) -> None:
        """Stop this worker's fetcher."""
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fetcher": None}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "policy": asdict(self.policy)}

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self._fetcher is None:
            self.setup()
        urls = batch.column("url").to_pylist()
        metas = batch.column("metadata").to_pylist()
        live = [i for i, m in enumerate(metas) if m is not None and urls[i]]
        verdicts = self._fetcher.run(_verdicts(self._fetcher.session, [urls[i] for i in live]))
        reasons: list[str | None] = [None] * batch.num_rows
        details: list[str | None] = [None] * batch.num_rows
        for i, verdict in zip(live, verdicts, strict=True):
            meta = json.loads(metas[i])
            rights = meta.setdefault("rights", {})
            rights["tdm"] = "; ".join(x for x in (rights.get("tdm"), verdict.text()) if x)
            if verdict.reserved is not None and rights.get("tdm_reserved") is not True:
                rights["tdm_reserved"] = verdict.reserved
                rights["tdm_policy"] = rights.get("tdm_policy") or verdict.policy
            metas[i] = json.dumps(meta, ensure_ascii=False, sort_keys=True)
            if verdict.reserved and self.respect:
                reasons[i], details[i] = "tdm_reservation", verdict.text()
        batch = set_columns(batch, {"metadata": pa.array(metas, pa.string())})
        return self.verdict(batch, reasons, details=details)


async def _verdicts(session, urls: list[str]) -> list[TdmVerdict]:
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def one(url: str) -> TdmVerdict:
        verdict = TdmVerdict()
        async with gate:
            await session.rights.cache.check(url, verdict)
        return verdict

    return list(await asyncio.gather(*(one(u) for u in urls)))
