"""The rights filters' ``--param`` settings (TDMRep's is the fetcher's ``respect_tdmrep``)."""

from engine.params import Param, ParamGroup

RIGHTS_PARAMS = ParamGroup(
    "rights (filters/provenance)",
    Param("respect_data_mining", bool, True, "reject images whose IPTC plus:DataMining prohibits it"),
    Param("ai_generated", str, "keep", "images flagged AI-generated: keep (flagged) or reject",
          choices=("keep", "reject")),
    Param("licenses", list, [], "licence ids or patterns to keep, e.g. cc-by-*,cc0-*,none "
          "(none: records without a licence; unset: every licence kept)"),
)
