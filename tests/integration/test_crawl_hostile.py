"""The safe fetcher against a hostile loopback server: every URL ends with the right reason,
and nothing reaches an address that is not allowlisted."""

from __future__ import annotations

import time

import pyarrow as pa
import pytest
from fetch_servers import HostileSite, Server, robots_500, static_folder

from engine.fetch import FetchPolicy, fetch_all
from tests.conftest import corpus


@pytest.fixture(scope="module")
def site():
    other = Server("127.0.0.2", lambda h: h.send_error(418))
    hostile = HostileSite()
    with other, Server("127.0.0.1", hostile) as main, Server("127.0.0.1", robots_500) as r500:
        hostile.other_base = f"http://127.0.0.2:{other.port}"
        yield main, other, r500, hostile


def policy(**kw) -> FetchPolicy:
    base = dict(allow_hosts="127.0.0.1", timeout_s=2.0, max_bytes=1 << 20, retries=2,
                backoff_s=0.05, max_retry_after_s=5.0, connect_timeout_s=2.0)
    return FetchPolicy(**{**base, **kw})


def reasons(site, paths, **kw):
    main = site[0]
    urls = [p if "://" in p else main.url(p) for p in paths]
    return {p: r for p, r in zip(paths, fetch_all(urls, policy(**kw)), strict=True)}


def test_plain_image_and_gzip_encoded_image_are_fetched(site):
    got = reasons(site, ["/ok.jpg", "/gzip-ok.jpg", "/chain/3"])
    for path, r in got.items():
        assert r.reason is None, (path, r.reason, r.detail)
        assert r.image_format == "jpeg" and (r.width, r.height) == (320, 240)
        assert r.content == site[3].jpeg
    assert got["/chain/3"].redirects == 4 and got["/chain/3"].final_url.endswith("/ok.jpg")
    assert got["/ok.jpg"].robots.startswith("allowed")


def test_redirects_are_bounded_and_loops_refused(site):
    got = reasons(site, ["/chain/9", "/loop/a"], max_redirects=5)
    assert got["/chain/9"].reason == "redirect_limit"
    assert got["/loop/a"].reason == "redirect_limit"
    assert "loop" in got["/loop/a"].detail


def test_redirect_to_unlisted_loopback_is_refused_and_never_contacted(site):
    _, other, _, _ = site
    got = reasons(site, ["/to-other", "/to-metadata", "/to-file", other.url("/ok.jpg")])
    assert got["/to-other"].reason == "blocked_address"
    assert "127.0.0.2" in got["/to-other"].detail
    assert got["/to-metadata"].reason == "blocked_address"
    assert "link-local" in got["/to-metadata"].detail
    assert got["/to-file"].reason == "bad_scheme"
    assert got[other.url("/ok.jpg")].reason == "blocked_address"
    assert other.requests == []


def test_schemes_and_credentials_refused_before_any_traffic(site):
    main = site[0]
    before = len(main.requests)
    port = main.port
    got = reasons(site, [
        "file:///etc/passwd", f"ftp://127.0.0.1:{port}/x.jpg", f"gopher://127.0.0.1:{port}/1",
        f"http://user:secret@127.0.0.1:{port}/ok.jpg", f"http://user@127.0.0.1:{port}/ok.jpg",
        "javascript://%0aalert(1)", "http:///nohost", f"http://127.0.0.1:{port}:99/x",
    ])
    assert [r.reason for r in got.values()] == [
        "bad_scheme", "bad_scheme", "bad_scheme", "credentials_in_url", "credentials_in_url",
        "bad_scheme", "bad_url", "bad_url",
    ]
    assert len(main.requests) == before


def test_default_policy_refuses_loopback(site):
    (result,) = fetch_all([site[0].url("/ok.jpg")], FetchPolicy(timeout_s=2))
    assert result.reason == "blocked_address" and "loopback" in result.detail


def test_slow_drip_endless_body_and_gzip_bomb_are_cut(site):
    started = time.monotonic()
    got = reasons(site, ["/drip.jpg", "/endless.jpg", "/bomb.jpg"])
    assert got["/drip.jpg"].reason == "timeout"
    assert got["/endless.jpg"].reason == "too_large"
    assert got["/bomb.jpg"].reason == "too_large"
    assert "decoded" in got["/bomb.jpg"].detail
    assert all(r.content is None for r in got.values())
    assert time.monotonic() - started < 10


def test_content_checks(site):
    got = reasons(site, ["/wrong-type.jpg", "/html-as.jpg", "/empty.jpg"])
    assert got["/wrong-type.jpg"].reason == "content_type"
    assert got["/html-as.jpg"].reason == "unsupported_format"
    assert got["/empty.jpg"].reason == "empty_body"


def test_status_codes_and_retries(site):
    hostile = site[3]
    got = reasons(site, ["/status/404", "/status/403", "/status/410", "/status/500",
                         "/status/418", "/once-429.jpg", "/once-503-date.jpg", "/429-long.jpg",
                         "/always-503.jpg"])
    for path, reason in [("/status/404", "http_404"), ("/status/403", "http_403"),
                         ("/status/410", "http_410"), ("/status/500", "http_5xx"),
                         ("/status/418", "http_4xx")]:
        assert got[path].reason == reason
        assert got[path].attempts == 1 and hostile.counts[path] == 1  # never retried
    assert got["/once-429.jpg"].reason is None and got["/once-429.jpg"].attempts == 2
    assert got["/once-503-date.jpg"].reason is None
    assert got["/429-long.jpg"].reason == "http_429" and hostile.counts["/429-long.jpg"] == 1
    assert "over the cap" in got["/429-long.jpg"].detail
    assert got["/always-503.jpg"].reason == "http_503"
    assert got["/always-503.jpg"].attempts == 3 and hostile.counts["/always-503.jpg"] == 3


def test_retry_after_is_waited(site):
    started = time.monotonic()
    (r,) = fetch_all([site[0].url("/once-429.jpg?fresh")], policy())
    assert r.reason is None
    assert time.monotonic() - started >= 0.9


@pytest.mark.parametrize("form, blocked", [
    ("noai", True), ("noimageai", True), ("noindex", True), ("noimageindex", True),
    ("none", True), ("ours", True), ("other-bot", False), ("scoped-list", True),
    ("several", True), ("harmless", False),
])
def test_x_robots_tag_forms(site, form, blocked):
    (r,) = fetch_all([site[0].url(f"/xr/{form}")], policy())
    assert (r.reason == "x_robots_tag") is blocked, (r.reason, r.detail)
    assert r.x_robots_tag  # the evidence is kept either way
    (r,) = fetch_all([site[0].url(f"/xr/{form}")], policy(respect_x_robots=False))
    assert r.reason is None


def test_robots_txt_disallow_and_500(site):
    main, _, r500, _ = site
    got = reasons(site, ["/private/secret.jpg", "/private/ok.jpg", r500.url("/a.jpg")])
    assert got["/private/secret.jpg"].reason == "robots_txt"
    assert got["/private/ok.jpg"].reason is None  # longest match: Allow wins
    assert got[r500.url("/a.jpg")].reason == "robots_txt"
    assert "500" in got[r500.url("/a.jpg")].detail
    assert "/private/secret.jpg" not in main.requests
    assert r500.requests == ["/robots.txt"]  # fetched once, cached, image never asked for
    got = reasons(site, ["/private/secret.jpg"], respect_robots=False)
    assert got["/private/secret.jpg"].reason is None


def test_results_keep_input_order_under_concurrency(site):
    paths = [f"/ok.jpg?{i}" if i % 3 else f"/status/404?{i}" for i in range(60)]
    results = fetch_all([site[0].url(p) for p in paths], policy(), concurrency=16)
    assert [r.url for r in results] == [site[0].url(p) for p in paths]
    assert [r.reason for r in results] == [None if i % 3 else "http_404" for i in range(60)]


def test_pillow_corpus_every_file_accounted(site):
    from filters.images.fetch import FetchImages

    root = corpus("pillow-images")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    with Server("127.0.0.1", static_folder(root)) as static:
        urls = [static.url("/" + str(p.relative_to(root))) for p in files]
        stage = FetchImages(policy(max_bytes=8 << 20, timeout_s=10,
                                   formats=("jpeg", "png", "webp", "gif", "bmp", "tiff", "ico")),
                            image_size=64, concurrency=16)
        stage.setup()
        try:
            out = stage(pa.table({"key": [f"{i:024x}" for i in range(len(urls))], "url": urls}))
        finally:
            stage.close()
    assert out.num_rows == len(files)
    reasons_ = out.column("_reject_reason").to_pylist()
    by_name = dict(zip([p.name for p in files], reasons_, strict=True))
    assert by_name["decompression_bomb.gif"] == "too_many_pixels"
    assert by_name["decompression_bomb.ico"] == "too_many_pixels"
    images = out.column("image").to_pylist()
    kept = [i for i, r in enumerate(reasons_) if r is None]
    assert len(kept) > 300
    assert all(images[i] and max(out.column("width")[i].as_py(),
                                 out.column("height")[i].as_py()) == 64 for i in kept)
    assert all(r in {"unsupported_format", "content_type", "decode_error", "too_many_pixels",
                     "too_large", "empty_body"} for r in reasons_ if r is not None)
    assert all(d for d, r in zip(out.column("_reject_detail").to_pylist(), reasons_,
                                 strict=True) if r)
