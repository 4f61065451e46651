"""The pooled transport against loopback servers: connections reused and bounded per host,
every content encoding decoded under the byte cap, chunked / close-delimited / truncated
bodies, fallback across a host's addresses, and the address policy enforced when connecting."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import zlib

import brotli
import psutil
import pytest
import zstandard
from fetch_servers import Server, make_jpeg

from engine.fetch import FetchPolicy, FetchSession, fetch_all
from engine.fetch.addresses import parse_ip
from engine.fetch.resolve import FetchError, Target
from engine.fetch.transport import BlockedAddress
from engine.fetch.urls import check_url, redirect_url

JPEG = make_jpeg(seed=3)
BOMB = b"\0" * (32 << 20)


def _raw_deflate(data: bytes) -> bytes:
    co = zlib.compressobj(wbits=-15)
    return co.compress(data) + co.flush()


ENCODED = {
    "gzip2": ("gzip", gzip.compress(JPEG[:1000]) + gzip.compress(JPEG[1000:])),  # two members
    "deflate-zlib": ("deflate", zlib.compress(JPEG)),
    "deflate-raw": ("deflate", _raw_deflate(JPEG)),
    "br": ("br", brotli.compress(JPEG)),
    "zstd": ("zstd", zstandard.ZstdCompressor().compress(JPEG[:500])
             + zstandard.ZstdCompressor().compress(JPEG[500:])),  # two frames
    "gzip-br": ("gzip, br", brotli.compress(gzip.compress(JPEG))),
    "br-bomb": ("br", brotli.compress(BOMB)),
    "zstd-bomb": ("zstd", zstandard.ZstdCompressor().compress(BOMB)),
    "deflate-bomb": ("deflate", _raw_deflate(BOMB)),
}


class KeepAliveSite:
    """Answers with keep-alive (no Connection: close) and records each connection's port."""

    def __init__(self):
        self.peers: set[tuple[str, int]] = set()

    def __call__(self, h) -> None:
        self.peers.add(h.client_address)
        path = h.path.split("?", 1)[0]
        if path == "/robots.txt":
            return self.send(h, 404, b"")
        name = path.rsplit("/", 1)[1]
        if path.startswith("/enc/"):
            coding, body = ENCODED[name]
            return self.send(h, 200, body, {"Content-Encoding": coding})
        if path.startswith("/bad-redirect/"):
            location = ("http://[::1/", "http://[127.0.0.1]/")[int(name)]
            h.send_response(302)
            h.send_header("Location", location)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return None
        if path == "/chunked.jpg":
            h.send_response(200)
            h.send_header("Content-Type", "image/jpeg")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            for i in range(0, len(JPEG), 777):
                piece = JPEG[i:i + 777]
                h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            h.wfile.write(b"0\r\n\r\n")
            return None
        if path == "/chunked-cut.jpg":
            h.send_response(200)
            h.send_header("Content-Type", "image/jpeg")
            h.send_header("Transfer-Encoding", "chunked")
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(b"%x\r\n%s\r\n" % (1000, JPEG[:1000]))
            h.close_connection = True
            return None
        if path == "/until-close.jpg":
            h.send_response(200)
            h.send_header("Content-Type", "image/jpeg")
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(JPEG)
            h.close_connection = True
            return None
        if path == "/short.jpg":  # Content-Length promises more than is sent
            h.send_response(200)
            h.send_header("Content-Type", "image/jpeg")
            h.send_header("Content-Length", str(len(JPEG) + 500))
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(JPEG)
            h.close_connection = True
            return None
        return self.send(h, 200, JPEG)

    @staticmethod
    def send(h, status: int, body: bytes, headers: dict | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "image/jpeg")
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)


@pytest.fixture()
def site():
    handler = KeepAliveSite()
    with Server("127.0.0.1", handler) as server:
        yield server, handler


def policy(**kw) -> FetchPolicy:
    base = dict(allow_hosts="127.0.0.1", timeout_s=5.0, retries=0, max_bytes=1 << 20)
    return FetchPolicy(**{**base, **kw})


def test_connections_are_reused_and_bounded_per_host(site):
    server, handler = site
    urls = [server.url(f"/ok.jpg?{i}") for i in range(40)]
    results = fetch_all(urls, policy(per_host_concurrency=3), concurrency=16)
    assert all(r.reason is None and r.content == JPEG for r in results)
    # robots.txt and 40 images over at most 3 connections at once; reused, not one per request
    assert 1 <= len(handler.peers) <= 3, handler.peers


def _open_to(ports: set[int]) -> int:
    """This process's established TCP connections to loopback ``ports`` (as the OS sees them)."""
    return sum(1 for c in psutil.Process().net_connections(kind="tcp")
               if c.raddr and c.raddr.port in ports and c.status == psutil.CONN_ESTABLISHED)


@pytest.mark.parametrize("cap", [4, 8])  # 8: a trim goes down to 7, the low-water mark
def test_idle_connections_are_capped_across_hosts(cap):
    handlers = [KeepAliveSite() for _ in range(5)]
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(Server("127.0.0.1", h)) for h in handlers]
        ports = {s.port for s in servers}

        async def crawl():
            session = FetchSession(policy(per_host_concurrency=3, max_idle_connections=cap))
            try:
                for server in servers:  # one host after another, 3 at a time on each
                    urls = [server.url(f"/ok.jpg?{i}") for i in range(9)]
                    results = await session.fetch_many(urls, concurrency=3)
                    assert all(r.reason is None for r in results)
                    assert session.transport.idle_connections <= cap
                    await asyncio.sleep(0.05)  # a closed transport lets go of its socket next turn
                    assert _open_to(ports) <= cap  # closed, not just forgotten
                idle, open_now = session.transport.idle_connections, _open_to(ports)
                # the last host's connections are the ones kept, and they are reused
                peers = set(handlers[-1].peers)
                more = await session.fetch_many([servers[-1].url("/ok.jpg?again")] * 3, 3)
                assert all(r.reason is None for r in more)
                return idle, open_now, peers, set(handlers[-1].peers)
            finally:
                await session.close()

        idle, open_now, before, after = asyncio.run(crawl())
    assert 3 <= idle <= cap and open_now == idle
    assert after == before  # no new connection for the host used last
    assert all(h.peers for h in handlers)


@pytest.mark.parametrize("name", ["gzip2", "deflate-zlib", "deflate-raw", "br", "zstd", "gzip-br"])
def test_every_content_encoding_is_decoded(site, name):
    (r,) = fetch_all([site[0].url(f"/enc/{name}")], policy())
    assert r.reason is None, (r.reason, r.detail)
    assert r.content == JPEG


@pytest.mark.parametrize("name", ["br-bomb", "zstd-bomb", "deflate-bomb"])
def test_decompression_bombs_stop_at_the_decoded_cap(site, name):
    (r,) = fetch_all([site[0].url(f"/enc/{name}")], policy())
    assert r.reason == "too_large" and "decoded" in r.detail
    assert r.content is None


def test_chunked_close_delimited_and_truncated_bodies(site):
    server, _ = site
    paths = ["/chunked.jpg", "/until-close.jpg", "/short.jpg", "/chunked-cut.jpg"]
    got = dict(zip(paths, fetch_all([server.url(p) for p in paths], policy()), strict=True))
    assert got["/chunked.jpg"].reason is None and got["/chunked.jpg"].content == JPEG
    assert got["/until-close.jpg"].reason is None and got["/until-close.jpg"].content == JPEG
    assert got["/short.jpg"].reason == "truncated"
    assert got["/chunked-cut.jpg"].reason == "truncated"


def _run_session(pol: FetchPolicy, urls, lookup=None, target=None):
    async def main():
        session = FetchSession(pol)
        if lookup is not None:
            async def fake_lookup(host, port):
                return [parse_ip(a) for a in lookup]
            session.resolver._lookup = fake_lookup  # the DNS answer; everything else is real
        if target is not None:
            async def unchecked(host, port):
                return target
            session.resolver.target = unchecked
        try:
            return await asyncio.gather(*(session.fetch(u) for u in urls))
        finally:
            await session.close()

    return asyncio.run(main())


def test_dead_first_address_falls_back_to_the_next_checked_one(site):
    server, _ = site
    with Server("127.0.0.2", KeepAliveSite()) as refused:
        dead = socket.socket()
        dead.bind(("127.0.0.3", 0))  # bound, never listening: connecting there is refused
        try:
            dead_port = dead.getsockname()[1]
            assert dead_port != server.port
            pol = policy(allow_hosts=("127.0.0.1", "127.0.0.3"))
            url = f"http://multi.test:{server.port}/ok.jpg"
            (r,) = _run_session(pol, [url], lookup=["127.0.0.2", "127.0.0.3", "127.0.0.1"])
        finally:
            dead.close()
        assert r.reason is None, (r.reason, r.detail)
        assert refused.requests == []  # the address that failed the policy was never dialled


def test_policy_is_enforced_at_connect_time_even_for_ip_literals(site):
    """A target that skipped the resolver's check (as an IP literal skips aiohttp's resolver)
    is still refused by the socket factory, and the server sees nothing."""
    with Server("127.0.0.2", KeepAliveSite()) as other:
        target = Target("127.0.0.2", other.port, (parse_ip("127.0.0.2"),))
        (r,) = _run_session(policy(respect_robots=False), [other.url("/ok.jpg")], target=target)
        assert r.reason == "blocked_address" and "127.0.0.2" in r.detail
        assert other.requests == []


def test_socket_factory_refuses_without_dialling():
    async def main():
        session = FetchSession(policy())
        try:
            info = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 80))
            with pytest.raises(BlockedAddress, match="link-local"):
                session.transport._open_socket(info)
            ok = session.transport._open_socket((socket.AF_INET, socket.SOCK_STREAM, 6, "",
                                                 ("127.0.0.1", 80)))
            ok.close()
        finally:
            await session.close()

    asyncio.run(main())


def test_host_port_allowlist_opens_that_port_only(site):
    server, _ = site
    with Server("127.0.0.1", KeepAliveSite()) as elsewhere:
        pol = policy(allow_hosts=f"127.0.0.1:{server.port}")
        ok, refused = fetch_all([server.url("/ok.jpg"), elsewhere.url("/ok.jpg")], pol)
        assert ok.reason is None
        assert refused.reason == "blocked_address"
        assert elsewhere.requests == []


def test_proxy_in_environment_is_refused_unless_direct_is_explicit(site, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.9:3128")
    with pytest.raises(RuntimeError, match="HTTPS_PROXY is set"):
        _run_session(policy(), [])
    (r,) = _run_session(policy(direct_despite_proxy_env=True), [site[0].url("/ok.jpg")])
    assert r.reason is None  # fetched directly; the proxy variable did not silently apply
    monkeypatch.setenv("NO_PROXY", "*")
    assert _run_session(policy(), []) == []


def test_bad_input_and_bad_redirects_get_their_reasons(site):
    server, _ = site
    urls = [server.url("/bad-redirect/0"), server.url("/bad-redirect/1"),
            server.url("/\udc80.jpg")]
    assert [r.reason for r in fetch_all(urls, policy())] == ["bad_redirect", "bad_redirect",
                                                             "bad_url"]
    with pytest.raises(FetchError) as err:
        check_url("http://127.0.0.1/\udc80.jpg")
    assert err.value.reason == "bad_url"
    for location in ("http://[::1/", "http://[127.0.0.1]/"):
        with pytest.raises(FetchError) as err:
            redirect_url("http://127.0.0.1/a", location)
        assert err.value.reason == "bad_redirect"
    assert check_url("http://faß.de/x").host == "xn--fa-hia.de"  # UTS #46, not IDNA 2003
    assert check_url("http://BÜCHER.example/").host == "xn--bcher-kva.example"
