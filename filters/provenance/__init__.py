"""Rights filters: TDMRep reservations, the IPTC "Data Mining" field, AI-generated provenance
and licences, for pairs (columns) and documents (``metadata`` JSON, per image position).

The evidence is gathered upstream (engine/consent, called from the fetch and extraction
stages); these filters only decide, so an audit can run them with enforcement off.
"""

from filters.provenance.decide import AiGenerated, IptcDataMining, LicenseFilter, TdmReservation
from filters.provenance.doc_tdmrep import DocTdmRepFile
from filters.provenance.wiring import page_tdmrep_file, rights_stages

__all__ = ["AiGenerated", "DocTdmRepFile", "IptcDataMining", "LicenseFilter", "TdmReservation",
           "page_tdmrep_file", "rights_stages"]
