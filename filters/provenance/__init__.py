"""Rights filters: TDMRep reservations, the IPTC "Data Mining" field, AI-generated provenance
and licences, for pairs (columns) and documents (``metadata`` JSON, per image position).

The evidence is gathered upstream (engine/consent, called from the fetch and extraction
stages); these filters only decide, so an audit can run them with enforcement off.
"""

from engine.exports import lazy_exports

EXPORTS = {
    "AiGenerated": "filters.provenance.decide",
    "IptcDataMining": "filters.provenance.decide",
    "LicenseFilter": "filters.provenance.decide",
    "TdmReservation": "filters.provenance.decide",
    "DocTdmRepFile": "filters.provenance.doc_tdmrep",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
