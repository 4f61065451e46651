"""Rights filters: TDMRep reservations, the IPTC "Data Mining" field, AI-generated provenance
and licences, for pairs (columns) and documents (``metadata`` JSON, per image position).

The evidence is gathered upstream (engine/consent, called from the fetch and extraction
stages); these filters only decide, so an audit can run them with enforcement off.
"""

from filters.provenance.decide import AiGenerated, IptcDataMining, LicenseFilter, TdmReservation
from filters.provenance.doc_tdmrep import DocTdmRepFile
from filters.provenance.params import RIGHTS_PARAMS

__all__ = ["RIGHTS_PARAMS", "AiGenerated", "DocTdmRepFile", "IptcDataMining", "LicenseFilter",
           "TdmReservation"]
