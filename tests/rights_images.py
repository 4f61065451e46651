"""Images for the rights tests, made here: XMP in both forms (attributes, elements), EXIF with
personal fields, and a C2PA-signed JPEG (a test CA and signer made on the spot, signed offline
with c2pa-python)."""

from __future__ import annotations

import datetime
import io

from PIL import Image, PngImagePlugin

NS = ('xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
      'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
      'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
      'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" '
      'xmlns:cc="http://creativecommons.org/ns#" xmlns:dc="http://purl.org/dc/elements/1.1/"')


def xmp_attributes(**props: str) -> bytes:
    """An XMP packet with ``props`` (``plus:DataMining`` -> value) as Description attributes."""
    attrs = " ".join(f'{k}="{v}"' for k, v in props.items())
    return (f'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            f'<rdf:RDF {NS}><rdf:Description rdf:about="" {attrs}/></rdf:RDF></x:xmpmeta>'
            f'<?xpacket end="w"?>').encode()


def xmp_elements(**props: str) -> bytes:
    """The same as elements: a URL value as ``rdf:resource``, UsageTerms as ``rdf:Alt``,
    anything else as element text."""
    body = []
    for k, v in props.items():
        if k == "xmpRights:UsageTerms":
            body.append(f'<{k}><rdf:Alt><rdf:li xml:lang="x-default">{v}</rdf:li></rdf:Alt></{k}>')
        elif k == "cc:license":
            body.append(f'<{k} rdf:resource="{v}"/>')
        else:
            body.append(f"<{k}>{v}</{k}>")
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {NS}><rdf:Description rdf:about="">'
            f'{"".join(body)}</rdf:Description></rdf:RDF></x:xmpmeta>').encode()


def personal_exif() -> Image.Exif:
    """EXIF with an owner name, a camera serial number, GPS and orientation 6 (rotate 90)."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x013B] = "Jane Owner"  # Artist
    exif[0xA430] = "Jane Owner"  # CameraOwnerName
    exif[0xA431] = "SN-0042-XYZ"  # BodySerialNumber
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 1.0)})
    return exif


def photo(width: int = 96, height: int = 64, seed: int = 0) -> Image.Image:
    im = Image.new("RGB", (width, height), (seed * 40 % 256, 120, 200))
    for x in range(0, width, 8):
        for y in range(height):
            im.putpixel((x, y), (255, (x * 3 + seed) % 256, y % 256))
    return im


def jpeg(xmp: bytes | None = None, exif: Image.Exif | None = None, comment: bytes | None = None,
         seed: int = 0, size: tuple[int, int] = (96, 64)) -> bytes:
    out = io.BytesIO()
    kwargs = {k: v for k, v in (("xmp", xmp), ("exif", exif), ("comment", comment)) if v is not None}
    photo(*size, seed=seed).save(out, "JPEG", quality=90, **kwargs)
    return out.getvalue()


def png(xmp: bytes) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode())
    info.add_text("Author", "Jane Owner")
    out = io.BytesIO()
    photo().save(out, "PNG", pnginfo=info)
    return out.getvalue()


def webp(xmp: bytes, exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    photo().save(out, "WEBP", xmp=xmp, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def c2pa_signed_jpeg(source_type: str = "trainedAlgorithmicMedia") -> bytes:
    """A JPEG with an embedded C2PA manifest whose ``c2pa.created`` action names
    ``source_type``, signed with a CA and signer made here (ES256), no network."""
    import c2pa
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "loomery tests")])

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def cert(subject, issuer, public, signer, ca: bool):
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public)
             .serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(days=1))
             .not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False))
        if ca:
            b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                critical=True)
        else:
            b = (b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                                 critical=True)
                 .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
                 .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                critical=False))
        return b.sign(signer, hashes.SHA256())

    ca = cert(name("loomery test CA"), name("loomery test CA"), ca_key.public_key(), ca_key, True)
    leaf = cert(name("loomery test signer"), ca.subject, key.public_key(), ca_key, False)
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, ca)).decode()

    def sign(data: bytes) -> bytes:
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    manifest = {
        "claim_generator_info": [{"name": "loomery-tests", "version": "1"}],
        "title": "generated.jpg",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
            "action": "c2pa.created",
            "digitalSourceType": f"http://cv.iptc.org/newscodes/digitalsourcetype/{source_type}"}]}}],
    }
    signer = c2pa.Signer.from_callback(sign, c2pa.C2paSigningAlg.ES256, chain, None)
    out = io.BytesIO()
    c2pa.Builder(manifest).sign(signer, "image/jpeg", io.BytesIO(jpeg(seed=7)), out)
    return out.getvalue()
