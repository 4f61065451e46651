"""The URL check's fast path (netloc judged once per origin) answers exactly as urlsplit does."""

import random

import pytest

from engine.fetch import urls
from engine.fetch.resolve import FetchError

TRICKY = [
    "http://127.0.0.1:8080/img/1.jpg",
    "https://Example.COM/a/b.jpg?x=1&y=2#frag",
    "HTTPS://example.com:443/",
    "http://example.com",
    "http://example.com?q",
    "http://example.com#f?x",
    "http://example.com/p?",
    "http://example.com/p?a?b#c#d",
    "http://example.com/a b.jpg",
    "http://example.com/%7Euser/\"quoted\"<x>{y}|z^`",
    "http://example.com/\u00e9t\u00e9.jpg",
    "http://fa\u00df.de/x",
    "http://[::1]:8080/x",
    "http://[::1/x",
    "http://::1]/x",
    "http://[127.0.0.1]/x",
    "http://[fe80::1%25eth0]/x",
    "http://user:pw@example.com/x",
    "http://@example.com/x",
    "http://example.com:99999/x",
    "http://example.com:abc/x",
    "http://example.com:/x",
    "http://:80/x",
    "http:///x",
    "ftp://example.com/x",
    "javascript:alert(1)",
    "//example.com/x",
    "example.com/x",
    " http://example.com/x ",
    "h\tttp://example.com/x",
    "http://exa\nmple.com/x",
    "http://example.com/\udc80.jpg",
    "http://xn--a.com/",
    "http://-bad-.com/",
    "http+x://example.com/",
    "http://a" + "b" * 70 + ".com/",
]


def answer(check, url):
    try:
        return check(url)
    except FetchError as exc:
        return (exc.reason, exc.detail)


@pytest.mark.parametrize("url", TRICKY)
def test_fast_path_matches_urlsplit(url):
    urls._ORIGINS.clear()
    first, again = answer(urls.check_url, url), answer(urls.check_url, url)  # miss, then hit
    assert first == again == answer(urls._check_split, url)


def test_random_urls_match_urlsplit():
    rng = random.Random(7)
    pieces = ["http", "https", "HTTP", "ftp", ":", "//", "/", "?", "#", "@", "[", "]", "::1",
              "example.com", "127.0.0.1", ":8080", ":0", "%2F", "a", "\u00e9", " ", "\t", "."]
    for _ in range(5000):
        url = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 9)))
        assert answer(urls.check_url, url) == answer(urls._check_split, url), url


def test_overlong_url_is_refused_on_either_path():
    long = "http://example.com/" + "a" * urls.MAX_URL_CHARS
    assert answer(urls.check_url, long)[0] == "bad_url"
    assert urls.check_url(long[: urls.MAX_URL_CHARS]).host == "example.com"


def test_origins_are_bounded(monkeypatch):
    monkeypatch.setattr(urls, "MAX_ORIGINS", 10)
    urls._ORIGINS.clear()
    for port in range(1, 40):
        assert urls.check_url(f"http://example.com:{port}/x").port == port
    assert len(urls._ORIGINS) <= 10
