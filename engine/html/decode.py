"""Bytes -> text for HTML pages, decoded as a browser decodes them (WHATWG Encoding Standard).

The order is the HTML specification's encoding sniffing: a byte-order mark, then the charset of
the HTTP ``Content-Type`` header, then a ``<meta>`` prescan of the first 1,024 bytes, then
detection (strict UTF-8, then ``charset-normalizer``), then windows-1252, the browsers' default.

Labels go through the WHATWG label table (``webencodings``), so ``latin1``/``ascii``/
``iso-8859-1`` decode as windows-1252, ``iso-8859-9`` as windows-1254, ``euc-kr`` as windows-949,
``shift_jis`` as windows-31j and ``gb2312``/``gbk`` as GB18030, and a label browsers do not know
(``utf-32``, EBCDIC code pages, ``utf-7``) is ignored as a browser ignores it. The ``<meta>``
prescan is ``w3lib``'s; bytes invalid in the chosen encoding become U+FFFD, never fatal.
"""

from __future__ import annotations

import codecs
from dataclasses import asdict, dataclass
from email.message import Message

import webencodings
from w3lib.encoding import html_body_declared_encoding, resolve_encoding, to_unicode

PRESCAN_BYTES = 1024  # the HTML specification's prescan window
DETECT_BYTES = 200_000  # enough for a detector's statistics, bounded cost per page
# the only byte-order marks the WHATWG "decode" algorithm honours (no UTF-32)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16be"),
         (codecs.BOM_UTF16_LE, "utf-16le"))


def _python_codec(encoding: webencodings.Encoding) -> str:
    """The Python codec that decodes ``encoding`` as the standard says."""
    # webencodings gaps, patched: its GBK is Python's gbk, but the standard decodes GBK with
    # the GB18030 decoder (a superset: 镕 and the euro sign at 0x80 are not in Python's gbk)
    if encoding.name == "gbk":
        return "gb18030"
    return codecs.lookup(encoding.codec_info.name).name


# Python codec -> WHATWG encoding, for declarations w3lib resolves to a Python codec name; GBK
# and gb18030 share a decoder, so a gb2312/gbk declaration is recorded as gb18030
_BY_CODEC = {}
for _name in sorted(set(webencodings.LABELS.values()) - {"replacement", "x-user-defined"}):
    _BY_CODEC.setdefault(_python_codec(webencodings.lookup(_name)), webencodings.lookup(_name))
_BY_CODEC["gbk"] = webencodings.lookup("gbk")


@dataclass(frozen=True)
class Decoding:
    """How a page's bytes were decoded: the WHATWG ``encoding``, the Python ``codec`` used,
    the ``source`` that decided it (``bom``, ``header``, ``meta``, ``utf-8``, ``detected``,
    ``default``) and how many U+FFFD the decoded text holds."""

    encoding: str
    codec: str
    source: str
    replacements: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.codec} ({self.source})"


def whatwg_encoding(label: str | None) -> webencodings.Encoding | None:
    """The WHATWG encoding of a label (case and surrounding whitespace ignored), or None."""
    return webencodings.lookup(label.strip()) if label and label.strip() else None


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header value (quotes handled), or None."""
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset if isinstance(charset, str) else None


def _from_codec(codec: str | None) -> webencodings.Encoding | None:
    if not codec:
        return None
    return _BY_CODEC.get(codecs.lookup(codec).name)


def _meta_encoding(data: bytes) -> webencodings.Encoding | None:
    """The encoding a ``<meta>`` in the first 1,024 bytes declares, with the prescan's rules:
    a UTF-16 declaration means UTF-8 (the bytes were read as ASCII to find it) and
    ``x-user-defined`` means windows-1252."""
    codec = html_body_declared_encoding(data[:PRESCAN_BYTES])
    encoding = _from_codec(codec)
    if encoding is not None and encoding.name in ("utf-16le", "utf-16be"):
        return webencodings.lookup("utf-8")
    return encoding


# what browsers' detectors can answer (Firefox's chardetng): the legacy encodings of the web,
# not every code page a detector knows (mac-cyrillic or Thai would otherwise win short pages)
DETECTABLE = ("utf_8", "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256",
              "cp1257", "cp1258", "cp874", "iso8859_2", "iso8859_7", "iso8859_8", "koi8_r",
              "koi8_u", "cp866", "cp932", "shift_jis_2004", "euc_jp", "iso2022_jp", "cp949", "gb18030", "big5hkscs")


def _detected(data: bytes) -> webencodings.Encoding | None:
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[:DETECT_BYTES], cp_isolation=list(DETECTABLE)))
    if not matches:
        return None
    # charset-normalizer ranks by "chaos" (mess) first; on a page of mostly ASCII markup the
    # mess of close code pages differs by a few hundredths and the language coherence of the
    # decoded letters separates them better, so both count
    best = max(matches, key=lambda m: m.coherence - m.chaos)
    # charset-normalizer answers Shift_JIS pages with its JIS X 0213 variant; a browser that
    # detects Shift_JIS decodes it as windows-31j
    name = "cp932" if best.encoding == "shift_jis_2004" else best.encoding
    return _from_codec(resolve_encoding(name))


def sniff_encoding(data: bytes, content_type: str | None = None
                   ) -> tuple[webencodings.Encoding, str, int]:
    """(encoding, source, bytes of BOM to skip) by the HTML specification's sniffing order."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return webencodings.lookup(name), "bom", len(bom)
    if (encoding := whatwg_encoding(header_charset(content_type))) is not None:
        return encoding, "header", 0
    if (encoding := _meta_encoding(data)) is not None:
        return encoding, "meta", 0
    try:
        data.decode("utf-8")
        return webencodings.lookup("utf-8"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    if (encoding := _detected(data)) is not None:
        return encoding, "detected", 0
    return webencodings.lookup("windows-1252"), "default", 0


def _windows_1252_c1(err: UnicodeDecodeError) -> tuple[str, int]:
    # the five bytes Python's cp1252 leaves undefined map to the C1 controls of the same
    # value in the WHATWG windows-1252 index
    byte = err.object[err.start]
    return (chr(byte) if byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else "\ufffd"), err.start + 1


codecs.register_error("loomery_windows_1252", _windows_1252_c1)


def decode_with(data: bytes, encoding: webencodings.Encoding) -> str:
    """Decode ``data`` with a WHATWG encoding, invalid bytes as U+FFFD."""
    if encoding.name == "replacement":  # labels of encodings browsers refuse to decode
        return "\ufffd" if data else ""
    if encoding.name == "x-user-defined":  # webencodings' own codec (Python has none)
        return encoding.codec_info.decode(data)[0]
    codec = _python_codec(encoding)
    if codec == "cp1252":
        return data.decode(codec, errors="loomery_windows_1252")
    return to_unicode(data, codec)  # w3lib: GB18030's own replacement rules


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, Decoding]:
    """Decode an HTML page as a browser would; return (text, :class:`Decoding`)."""
    encoding, source, skip = sniff_encoding(data, content_type)
    text = decode_with(data[skip:], encoding)
    codec = encoding.name if encoding.name in ("replacement", "x-user-defined") else \
        _python_codec(encoding)
    return text, Decoding(encoding.name, codec, source, text.count("\ufffd"))
