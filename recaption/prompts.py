"""Named, versioned prompt templates for captioners.

A template's ``id`` and ``version`` go into every caption's provenance: changing a template's
wording means bumping its version, so that captions made with the old wording are never taken for
captions made with the new one (and a rerun recaptions them). Templates are registered here and
looked up by ``id`` or ``id@version``.
"""

from __future__ import annotations

from dataclasses import dataclass

# The longest alt-text or context passage put into a prompt, in characters. Web alt-text and
# surrounding paragraphs can be kilobytes long; the hint only needs the gist.
MAX_HINT_CHARS = 400


@dataclass(frozen=True)
class PromptTemplate:
    """A prompt with a stable id and version.

    ``text`` may contain ``{alt_text}`` (the record's alt-text) and ``{context}`` (the text items
    around an image in a document). ``max_new_tokens`` is the generation budget that suits it.
    """

    id: str
    version: int
    text: str
    max_new_tokens: int = 64
    description: str = ""

    @property
    def ref(self) -> str:
        """``id@version``: how provenance names this template."""
        return f"{self.id}@{self.version}"

    @property
    def needs_alt_text(self) -> bool:
        return "{alt_text}" in self.text

    @property
    def needs_context(self) -> bool:
        return "{context}" in self.text

    def render(self, alt_text: str | None = None, context: str | None = None) -> str:
        """The prompt for one image. Missing hints render as ``(none)`` so the model is told so."""
        return self.text.format(alt_text=_hint(alt_text), context=_hint(context))


def _hint(value: str | None) -> str:
    text = " ".join((value or "").split())
    if not text:
        return "(none)"
    if len(text) > MAX_HINT_CHARS:
        text = text[: MAX_HINT_CHARS - 1].rstrip() + "…"
    return text


_TEMPLATES: dict[str, dict[int, PromptTemplate]] = {}


def register_prompt(template: PromptTemplate) -> PromptTemplate:
    """Add a template; registering a different text under an existing id@version is an error."""
    versions = _TEMPLATES.setdefault(template.id, {})
    existing = versions.get(template.version)
    if existing is not None and existing != template:
        raise ValueError(f"prompt {template.ref} is already registered with other text")
    versions[template.version] = template
    return template


def get_prompt(ref: str) -> PromptTemplate:
    """The template named ``id`` (its latest version) or ``id@version``."""
    pid, _, version = ref.partition("@")
    versions = _TEMPLATES.get(pid)
    if not versions:
        raise KeyError(f"unknown prompt {pid!r}; known: {', '.join(sorted(_TEMPLATES))}")
    if not version:
        return versions[max(versions)]
    try:
        return versions[int(version)]
    except (KeyError, ValueError):
        known = ", ".join(f"{pid}@{v}" for v in sorted(versions))
        raise KeyError(f"unknown prompt version {ref!r}; known: {known}") from None


def prompt_ids() -> list[str]:
    """Every registered ``id@version``."""
    return sorted(t.ref for versions in _TEMPLATES.values() for t in versions.values())


SHORT = register_prompt(
    PromptTemplate(
        id="short",
        version=1,
        text=(
            "Write one short sentence (at most 20 words) describing the main subject of this "
            "image. Start directly with the subject; do not say 'The image shows'."
        ),
        max_new_tokens=48,
        description="one-sentence caption of the main subject",
    )
)
DENSE = register_prompt(
    PromptTemplate(
        id="dense",
        version=1,
        text=(
            "Describe this image in detail in 3 to 5 sentences: the main subjects, their "
            "attributes and actions, the setting, visible text, colours and composition. "
            "Describe only what is visible. Start directly with the description."
        ),
        max_new_tokens=256,
        description="dense multi-sentence description",
    )
)
ALT_TEXT = register_prompt(
    PromptTemplate(
        id="alt_text",
        version=1,
        text=(
            'The web page gave this image the alt-text: "{alt_text}". The alt-text may be '
            "wrong, incomplete or unrelated. Check it against the image: keep names, places and "
            "facts from it only if the image is consistent with them, and drop anything the image "
            "does not show. Write one or two factual sentences describing the image."
        ),
        max_new_tokens=96,
        description="caption that uses the alt-text as a hint verified against the image",
    )
)
CONTEXT = register_prompt(
    PromptTemplate(
        id="context",
        version=1,
        text=(
            'This image appears in a web document. Text around it: "{context}". Use the text '
            "only as a hint for names and topic, and only where the image agrees with it. Write "
            "one or two factual sentences describing the image."
        ),
        max_new_tokens=96,
        description="caption for an image inside a document, using the surrounding text",
    )
)
