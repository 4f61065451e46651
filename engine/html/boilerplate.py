"""Text items that are page furniture rather than content, recognised by their wording.

The main-content extractor keeps whole blocks; some blocks inside the article body are still
boilerplate: advertisement labels, "read more" teasers, newsletter sign-ups, comment counters.
Only short items are judged, so a paragraph that merely mentions a newsletter is kept.
"""

from __future__ import annotations

import re

MAX_WORDS = 40

# a whole item that is only one of these labels
_LABELS = {
    "anzeige", "advertisement", "werbung", "sponsored", "publicité", "publicidad", "ad",
    "weiterführender link", "weiterführende links", "view comments", "show comments",
    "beitragsbild", "image illustrative", "credit:", "share", "teilen", "tweet",
}
# an item that starts like a teaser for another page
_TEASER = re.compile(
    r"^(read more|read also|related|more on this|see more|lesen sie auch|lies auch|auch interessant"
    r"|mehr zum thema|das (thema )?könnte (dich|sie) auch interessieren|auch auf \S+|à lire aussi"
    r"|lire aussi|leer más|ver también)\b",
    re.I,
)
_SIGNUP = re.compile(r"\b(newsletter|sign up|subscribe|abonnieren|anmelden)\b", re.I)


def is_boilerplate(text: str) -> bool:
    """True for a short text item that is an ad label, a teaser link or a sign-up box."""
    words = text.split()
    if len(words) > MAX_WORDS:
        return False
    flat = " ".join(words).strip().strip("-–:|•").strip().lower()
    if flat in _LABELS or flat.rstrip(":") in _LABELS:
        return True
    return bool(_TEASER.match(flat) or _SIGNUP.search(flat))
