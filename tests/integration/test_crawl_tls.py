"""TLS is verified against the host name even though the connection is pinned to an address,
and never downgraded by a redirect. Certificates are made with the openssl command."""

from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest
from fetch_servers import HostileSite, Server

from engine.fetch import FetchPolicy, fetch_all

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def make_cert(folder, name: str, san: str):
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName={san}"], check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx, str(cert)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    good_ctx, good_pem = make_cert(folder, "localhost", "DNS:localhost,IP:127.0.0.1")
    wrong_ctx, wrong_pem = make_cert(folder, "other", "DNS:other.test")
    plain_site = HostileSite()
    with Server("127.0.0.1", plain_site) as plain:
        class Site(HostileSite):
            def __call__(self, h):
                if h.path in ("/downgrade", "/downgrade-tab"):
                    location = plain.url("/ok.jpg")
                    if h.path.endswith("tab"):  # parsed as http once urlsplit drops the tab
                        location = "h\t" + location[1:]
                    h.send_response(302)
                    h.send_header("Location", location)
                    h.send_header("Content-Length", "0")
                    h.end_headers()
                else:
                    super().__call__(h)

        with Server("127.0.0.1", Site(), tls=good_ctx) as good, \
                Server("127.0.0.1", Site(), tls=wrong_ctx) as wrong:
            yield good, good_pem, wrong, wrong_pem, plain


def policy(**kw):
    return FetchPolicy(allow_hosts="127.0.0.1", timeout_s=5, **kw)


def test_untrusted_certificate_is_refused(servers):
    good, *_ = servers
    (r,) = fetch_all([good.url("/ok.jpg")], policy())
    assert r.reason == "tls_error" and "certificate" in r.detail.lower()


def test_trusted_certificate_by_ip_and_by_name(servers):
    good, pem, *_ = servers
    urls = [good.url("/ok.jpg"), f"https://localhost:{good.port}/ok.jpg"]
    results = fetch_all(urls, policy(ca_file=pem))
    assert [r.reason for r in results] == [None, None]
    assert all(r.image_format == "jpeg" for r in results)


def test_certificate_for_another_name_is_refused(servers):
    _, _, wrong, wrong_pem, _ = servers
    (r,) = fetch_all([wrong.url("/ok.jpg")], policy(ca_file=wrong_pem))
    assert r.reason == "tls_error"


def test_https_to_http_redirect_is_refused(servers):
    good, pem, _, _, plain = servers
    before = list(plain.requests)
    for path in ("/downgrade", "/downgrade-tab"):
        (r,) = fetch_all([good.url(path)], policy(ca_file=pem))
        assert r.reason == "insecure_redirect", (path, r.reason, r.detail)
    assert plain.requests == before

