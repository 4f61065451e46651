"""Image XMP: the packet from the original bytes, and the properties the consent checks read.

Pillow finds the packet where each format keeps it (JPEG APP1, PNG iTXt ``XML:com.adobe.xmp``,
WebP ``XMP `` chunk, GIF application extension) from the header alone, with no pixel decoding.
The packet is parsed with lxml with entities and network access off (a hostile image must not
expand entities or dial out). A property is read in both XMP forms: as an attribute of
``rdf:Description`` (``plus:DataMining="..."``) and as an element, whose value is its text, its
``rdf:resource`` or the ``rdf:li`` items of an ``rdf:Alt``/``rdf:Bag``/``rdf:Seq`` inside it.
Extended XMP (a packet split over several JPEG segments) is not joined: only the main packet's
properties are read, which is where these fields are written.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

from lxml import etree
from PIL import Image

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
XMP_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
CC = "http://creativecommons.org/ns#"
DC = "http://purl.org/dc/elements/1.1/"
MAX_XMP_BYTES = 1 << 20  # a main XMP packet is at most 64 KiB in JPEG; 1 MiB bounds the rest

# (name in evidence, namespace, local name) of every property read
PROPERTIES = (
    ("plus:DataMining", PLUS, "DataMining"),
    ("Iptc4xmpExt:DigitalSourceType", IPTC_EXT, "DigitalSourceType"),
    ("xmpRights:WebStatement", XMP_RIGHTS, "WebStatement"),
    ("xmpRights:UsageTerms", XMP_RIGHTS, "UsageTerms"),
    ("cc:license", CC, "license"),
    ("dc:rights", DC, "rights"),
)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          remove_comments=True, remove_pis=True)


@dataclass
class XmpFields:
    """The properties found (evidence name -> values in document order) and, when the packet
    could not be read, why."""

    values: dict[str, list[str]] = field(default_factory=dict)
    present: bool = False
    error: str | None = None

    def first(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None


def xmp_packet(data: bytes) -> bytes | None:
    """The XMP packet of an encoded image, or None. Reads headers only."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                packet = im.info.get("xmp")
                if packet is None and im.format == "TIFF":
                    packet = im.tag_v2.get(700)
    except Exception:  # noqa: BLE001 - not an image Pillow opens: no XMP to read
        return None
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    return bytes(packet) if packet else None


def read_xmp(data: bytes) -> XmpFields:
    """The consent-relevant XMP properties of the image ``data`` (original bytes)."""
    packet = xmp_packet(data)
    if not packet:
        return XmpFields()
    return parse_xmp(packet)


def parse_xmp(packet: bytes) -> XmpFields:
    """The properties of :data:`PROPERTIES` in an XMP packet."""
    if len(packet) > MAX_XMP_BYTES:
        return XmpFields(present=True, error=f"XMP packet of {len(packet)} bytes, over the bound")
    start = packet.find(b"<")
    try:
        root = etree.fromstring(packet[max(start, 0):].rstrip(b"\x00 \r\n\t"), _PARSER)
    except etree.XMLSyntaxError as exc:
        return XmpFields(present=True, error=f"unparseable XMP: {exc}"[:200])
    out = XmpFields(present=True)
    for desc in root.iter(f"{{{RDF}}}Description"):
        for name, ns, local in PROPERTIES:
            found = _values(desc, ns, local)
            if found:
                out.values.setdefault(name, []).extend(found)
    return out


def _values(desc: etree._Element, ns: str, local: str) -> list[str]:
    values = []
    attr = desc.get(f"{{{ns}}}{local}")
    if attr and attr.strip():
        values.append(attr.strip())
    for el in desc.findall(f"{{{ns}}}{local}"):
        resource = el.get(f"{{{RDF}}}resource")
        items = [li for li in el.iter(f"{{{RDF}}}li")]
        if resource:
            values.append(resource.strip())
        elif items:
            values.extend(_text(li) for li in items if _text(li))
        elif _text(el):
            values.append(_text(el))
        else:  # rdf:parseType="Resource" or a nested Description: rdf:value holds it
            value = el.find(f".//{{{RDF}}}value")
            if value is not None and _text(value):
                values.append(_text(value))
    return values


def _text(el: etree._Element) -> str:
    resource = el.get(f"{{{RDF}}}resource")
    return (resource or "".join(el.itertext())).strip()
