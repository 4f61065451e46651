"""Safety filters: hash blocklists, NSFW images, faces, toxic text, PII and caption language."""

from filters.safety.blocklist import Blocklist
from filters.safety.faces import Faces
from filters.safety.language import LanguageId
from filters.safety.nsfw import Nsfw
from filters.safety.pii import Pii
from filters.safety.toxicity import Toxicity

__all__ = ["Blocklist", "Faces", "LanguageId", "Nsfw", "Pii", "Toxicity"]
