"""Safety filters: hash blocklists, NSFW images, faces, text in images, toxic text, PII and
caption language."""

from engine.exports import lazy_exports

EXPORTS = {
    "Blocklist": "filters.safety.blocklist",
    "Faces": "filters.safety.faces",
    "LanguageId": "filters.safety.language",
    "Nsfw": "filters.safety.nsfw",
    "Pii": "filters.safety.pii",
    "TextInImage": "filters.safety.text_in_image",
    "Toxicity": "filters.safety.toxicity",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
