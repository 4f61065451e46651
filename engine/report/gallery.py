"""The report's record views: kept pairs, rejected records and documents in reading order.

Images become small base64 JPEG thumbnails; every text is escaped. Synthetic captions show their
claims coloured by verdict (supported, unsupported, uncertain) when the cross-check stored them.
"""

from __future__ import annotations

import base64
import io
import json
from html import escape

from PIL import Image

from engine.output.folder import Sample
from engine.output.loader_policy import SIDE_SUFFIXES

THUMB = 256
_VERDICT_CLASS = {"supported": "ok", "corroborated": "ok", "unsupported": "bad",
                  "hallucinated": "bad", "contradicted": "bad", "unverified": "unsure",
                  "uncertain": "unsure", "absent": "none"}


def thumbnail(data: bytes | None, size: int = THUMB) -> str | None:
    """A ``data:`` URI of a JPEG thumbnail of ``data``, or None when it cannot be decoded."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (size, size))
            im = im.convert("RGB")
            im.thumbnail((size, size))
            out = io.BytesIO()
            im.save(out, "JPEG", quality=78, optimize=True)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def synthetic_variants(meta: dict) -> list[str]:
    """Names of the synthetic caption variants a record holds (``caption_dense`` -> ``dense``),
    failed ones (null caption with a status) included."""
    out = []
    for name, value in meta.items():
        if not name.startswith("caption_") or any(name.endswith("_" + s) for s in SIDE_SUFFIXES):
            continue
        if isinstance(value, str) or (value is None and f"{name}_status" in meta):
            out.append(name[len("caption_"):])
    return out


def _json_value(raw):
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return None
    return raw


def crosscheck_of(meta: dict, variant: str) -> dict:
    """The cross-check's result for one variant (claims, rate, outcome, repaired), if stored."""
    doc = _json_value(meta.get("crosscheck"))
    if isinstance(doc, dict):
        for v in doc.get("variants") or []:
            if isinstance(v, dict) and v.get("variant") == variant:
                return v
    return {}


def claims_of(meta: dict, variant: str, single: bool) -> list[dict]:
    """The claims stored for a caption variant: from the cross-check's JSON, or from a
    ``caption_<variant>_claims`` / ``claims_<variant>`` column (JSON or list)."""
    raw = crosscheck_of(meta, variant).get("claims")
    if raw is None:
        for name in (f"caption_{variant}_claims", f"claims_{variant}"):
            if meta.get(name) is not None:
                raw = meta[name]
                break
        else:
            raw = meta.get("claims") if single else None
    raw = _json_value(raw)
    return [c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []


def _rate(meta: dict, variant: str, single: bool):
    check = crosscheck_of(meta, variant)
    if isinstance(check.get("rate"), (int, float)):
        return check["rate"]
    for name in (f"caption_{variant}_hallucination_rate", f"hallucination_rate_{variant}"):
        if isinstance(meta.get(name), (int, float)):
            return meta[name]
    value = meta.get("hallucination_rate") if single else None
    return value if isinstance(value, (int, float)) else None


def highlight_claims(text: str, claims: list[dict]) -> str:
    """Escape ``text`` and wrap each claim's span in a mark coloured by its verdict."""
    spans = []
    for c in claims:
        span = c.get("span")
        label = c.get("text") or c.get("phrase")
        if isinstance(span, (list, tuple)) and len(span) == 2:
            start, end = int(span[0]), int(span[1])
        elif isinstance(c.get("start"), int) and isinstance(c.get("end"), int):
            start, end = c["start"], c["end"]
        elif isinstance(label, str) and label and label in text:
            start = text.index(label)
            end = start + len(label)
        else:
            continue
        if 0 <= start < end <= len(text):
            spans.append((start, end, c))
    out, pos = [], 0
    for start, end, c in sorted(spans, key=lambda s: s[0]):
        if start < pos:
            continue  # overlapping claims: the first one wins the colour
        verdict = str(c.get("verdict", "unknown"))
        score = c.get("score", c.get("support"))
        tip = verdict + (f" ({score:.2f})" if isinstance(score, (int, float)) else "")
        out.append(escape(text[pos:start]))
        out.append(f'<mark class="claim v-{_VERDICT_CLASS.get(verdict, "unsure")}" '
                   f'title="{escape(tip)}">{escape(text[start:end])}</mark>')
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _img(uri: str | None, alt: str) -> str:
    if uri is None:
        return '<div class="noimg">image not decodable</div>'
    return f'<img src="{uri}" alt="{escape(alt[:120])}" loading="lazy">'


def pair_card(sample: Sample) -> str:
    """A kept pair: thumbnail, alt-text, each synthetic caption with its claims, key scores."""
    meta = sample.meta()
    alt = meta.get("caption")
    if alt is None and "txt" in sample.members:
        alt = sample.members["txt"].decode("utf-8", "replace")
    variants = synthetic_variants(meta)
    rows = [f'<p class="alt"><span class="tag">alt-text</span>{escape(alt or "(none)")}</p>']
    single = len(variants) == 1
    for v in variants:
        text = meta.get(f"caption_{v}")
        tag = f'<span class="tag tag-syn">{escape(v)}</span>'
        if not isinstance(text, str):
            status = meta.get(f"caption_{v}_status") or "missing"
            rows.append(f'<p class="syn failed">{tag}no caption ({escape(str(status))})</p>')
            continue
        rate = _rate(meta, v, single)
        check = crosscheck_of(meta, v)
        rate_html = (f'<span class="rate">hallucination {rate:.0%}</span>'
                     if isinstance(rate, (int, float)) else "")
        if check.get("outcome"):
            rate_html += f'<span class="rate">{escape(str(check["outcome"]))}</span>'
        rows.append(f"<p class=\"syn\">{tag}{highlight_claims(text, claims_of(meta, v, single))}"
                    f"{rate_html}</p>")
        if check.get("repaired"):
            rows.append(f'<p class="syn repaired"><span class="tag tag-fix">repaired</span>'
                        f'{escape(str(check["repaired"]))}</p>')
    scores = [f"<span>{escape(k)} <b>{v:.3g}</b></span>" for k, v in meta.items()
              if isinstance(v, float) and k not in ("width", "height")][:6]
    return (f'<figure class="card" data-kind="kept">{_img(thumbnail(sample.image()), alt or "")}'
            f'<figcaption>{"".join(rows)}<div class="scores">{"".join(scores)}</div>'
            f'<div class="key">{escape(sample.key)}</div></figcaption></figure>')


def reject_card(row: dict) -> str:
    """A rejected record: no bytes were kept, so the reason, score and URL stand in for it."""
    score, thr = row.get("score"), row.get("threshold")
    numbers = ""
    if isinstance(score, (int, float)):
        numbers = f"score <b>{score:.3g}</b>"
        if isinstance(thr, (int, float)):
            numbers += f" against threshold <b>{thr:.3g}</b>"
    extra = "".join(
        f'<p class="detail">{escape(label)} {escape(str(row[k]))}</p>'
        for k, label in (("detail", ""), ("dup_of", "duplicate of")) if row.get(k))
    url = row.get("url") or ""
    return (f'<figure class="card reject" data-kind="rejected" data-stage="{escape(row["stage"])}">'
            f'<div class="noimg"><span class="stage">{escape(row["stage"])}</span>'
            f'<span class="reason">{escape(row["reason"])}</span></div><figcaption>'
            f'<p class="nums">{numbers}</p>{extra}'
            f'<p class="url" title="{escape(url)}">{escape(url)}</p>'
            f'<div class="key">{escape(row["key"])}</div></figcaption></figure>')


def is_document(sample: Sample) -> bool:
    """True for an interleaved-document sample: its JSON holds a ``texts`` sequence."""
    return isinstance(sample.meta().get("texts"), list)


def document_view(sample: Sample) -> str:
    """A document rendered in reading order: text items and images where they stood."""
    meta = sample.meta()
    images = sample.position_images()
    urls = meta.get("image_urls") or meta.get("images") or []
    body = []
    for i, text in enumerate(meta.get("texts") or []):
        if text is not None:
            body.append(f"<p>{escape(str(text))}</p>")
        elif i in images:
            body.append(f'<div class="docimg">{_img(thumbnail(images[i], 360), f"image {i}")}'
                        f'<span class="pos">position {i}</span></div>')
        else:
            url = urls[i] if i < len(urls) and isinstance(urls[i], str) else ""
            body.append(f'<div class="docimg missing">image {i} not kept {escape(url)}</div>')
    url = meta.get("url") or ""
    return (f'<article class="doc"><header><span class="tag">document</span>'
            f'<span class="url">{escape(url)}</span></header>{"".join(body)}</article>')
