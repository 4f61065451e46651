"""robots.txt (RFC 9309), X-Robots-Tag and Retry-After parsing, and the robots cache."""

import asyncio
import time
from email.utils import formatdate

import pytest

from engine.fetch import xrobots
from engine.fetch.politeness import backoff_delay, parse_retry_after
from engine.fetch.robots import Robots, RobotsCache

ROBOTS = """
# comment
User-agent: otherbot
Disallow: /

User-agent: loomery
User-agent: friendbot
Disallow: /private/
Allow: /private/public/
Disallow: /*.gif$
Disallow: /search?q=
Allow: /tie
Disallow: /tie

User-agent: *
Disallow: /everything-for-others
"""


@pytest.mark.parametrize("path, allowed", [
    ("/", True),
    ("/private/x.jpg", False),
    ("/private/public/x.jpg", True),  # longest match wins
    ("/img/a.gif", False),  # * and $ patterns
    ("/img/a.gif?x=1", True),  # $ anchors the end
    ("/search?q=cats", False),
    ("/search", True),
    ("/tie", True),  # equal length: allow wins
    ("/everything-for-others", True),  # the * group does not apply to a named agent
    ("/robots.txt", True),
])
def test_group_for_our_token(path, allowed):
    assert Robots.parse(ROBOTS).allowed("loomery", path) is allowed


def test_agent_matching_is_case_insensitive_and_falls_back_to_star():
    robots = Robots.parse(ROBOTS)
    assert robots.allowed("LOOMERY", "/private/x") is False
    assert robots.allowed("unknownbot", "/everything-for-others") is False
    assert robots.allowed("unknownbot", "/private/x") is True
    assert robots.allowed("otherbot", "/anything") is False


def test_empty_disallow_allows_and_groups_are_split_correctly():
    robots = Robots.parse("User-agent: loomery\nDisallow:\n\nUser-agent: *\nDisallow: /\n")
    assert robots.allowed("loomery", "/x") is True
    assert robots.allowed("somebot", "/x") is False


def test_percent_encoding_is_compared_in_one_form():
    robots = Robots.parse("User-agent: *\nDisallow: /caf%C3%A9\n")
    assert robots.allowed("x", "/café") is False
    assert robots.allowed("x", "/caf%c3%a9") is False


def test_garbage_is_tolerated():
    robots = Robots.parse("\x00\x01 not robots\nDisallow: /orphan\n<html>")
    assert robots.allowed("loomery", "/orphan") is True


def run_cache(answers, urls):
    calls = []

    async def fetch(url):
        calls.append(url)
        await asyncio.sleep(0.01)
        status, body = answers[url]
        if status == "raise":
            raise OSError("unreachable")
        return status, body, ""

    async def main():
        cache = RobotsCache(fetch, "loomery")
        return await asyncio.gather(*(cache.verdict(u) for u in urls))

    return asyncio.run(main()), calls


def test_cache_fetches_once_per_origin_and_maps_statuses():
    answers = {
        "http://a.test/robots.txt": (200, b"User-agent: *\nDisallow: /no\n"),
        "http://b.test/robots.txt": (404, b""),
        "http://c.test/robots.txt": (500, b""),
        "http://d.test/robots.txt": ("raise", b""),
        "http://e.test/robots.txt": (429, b""),
        "http://a.test:8080/robots.txt": (403, b""),
    }
    urls = ["http://a.test/no", "http://a.test/yes", "http://a.test/no/2", "http://b.test/no",
            "http://c.test/x", "http://d.test/x", "http://e.test/x", "http://a.test:8080/no"]
    verdicts, calls = run_cache(answers, urls)
    assert [ok for ok, _, _ in verdicts] == [False, True, False, True, False, False, False, True]
    assert sorted(calls) == sorted(answers)  # each origin once, although asked concurrently
    assert "unreachable" in verdicts[5][1] and "500" in verdicts[4][1]
    assert verdicts[5][2] == "connection_error" and verdicts[4][2] is None


@pytest.mark.parametrize("values, blocked", [
    (["noai"], True),
    (["NoImageAI"], True),
    (["noindex, nofollow"], True),
    (["noimageindex"], True),
    (["none"], True),
    (["all"], False),
    (["nofollow", "noimageai"], True),  # several headers
    (["loomery: noai"], True),
    (["otherbot: noai"], False),
    (["otherbot: noindex, loomery: noimageai"], True),
    (["loomery: nofollow, otherbot: noai"], False),
    (["otherbot: noai", "noimageai"], True),
    (["unavailable_after: 25 Jun 2010 15:00:00 PST"], False),
    (["max-image-preview: none"], False),
])
def test_x_robots_tag(values, blocked):
    assert xrobots.verdict(values, "loomery").blocked is blocked


def test_x_robots_tag_reports_what_matched():
    got = xrobots.verdict(["otherbot: noindex, loomery: noimageai"], "loomery")
    assert got.matched == ("loomery: noimageai",)


def test_retry_after_parsing():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = time.time()
    assert 9 <= parse_retry_after(formatdate(now + 10, usegmt=True), now=now) <= 10
    assert parse_retry_after(formatdate(now - 100, usegmt=True), now=now) == 0.0


def test_backoff_grows_and_retry_after_wins():
    assert [backoff_delay(a, 0.5, None) for a in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert backoff_delay(3, 0.5, 7.0) == 7.0


def test_byte_order_mark_does_not_hide_the_first_group():
    robots = Robots.parse("\ufeffUser-agent: loomery\nDisallow: /\n")
    assert robots.allowed("loomery", "/x") is False


@pytest.mark.parametrize("rule, path, allowed", [
    ("/a%2Ab", "/a*b", False),  # %2A is a literal '*' (RFC 9309 §2.2.3)
    ("/a%2Ab", "/axxb", True),  # ... not a wildcard
    ("/a%24", "/a$x", False),  # %24 is a literal '$'
    ("/a%24", "/a", True),  # ... not an end anchor
    ("/a%2Fb", "/a/b", True),  # %2F is reserved: not decoded (§2.2.2)
    ("/a%2Fb", "/a%2fb", False),
    ("/%62az", "/baz", False),  # an unreserved character's escape is decoded
    ("/a/b$", "/a/b", False),
    ("/a/b$", "/a/b/c", True),
])
def test_percent_encoding_follows_rfc_9309(rule, path, allowed):
    robots = Robots.parse(f"User-agent: *\nDisallow: {rule}\n")
    assert robots.allowed("loomery", path) is allowed


def _hostile_files() -> list[str]:
    def group(lines):
        return "User-agent: *\n" + "\n".join(lines) + "\n"

    return [
        group(["Allow: *****************/****.js", "Disallow: /"]),
        group(["Disallow: /*a*a*a*a*a*b"]),
        group(["Disallow: /" + "*" * 100_000 + "x$"]),
        group([f"Disallow: /{'*a' * 30}*b{i}" for i in range(300)]),  # within the wildcard budget
        group([f"Disallow: /*zz{i}" for i in range(300)]),  # each a full scan of a long path
        group([f"Disallow: /a{i}" for i in range(10_000)]),  # at the plain-rule budget
        group([f"Disallow: /{'*a' * 40}*b{i}" for i in range(4000)]),  # over: all disallowed
        group([f"Disallow: /a{i}" for i in range(30_000)]),  # over: all disallowed
    ]


def test_hostile_robots_txt_is_matched_in_linear_time():
    paths = ["/" + "a" * 30, "/" + "a" * 117, "/" + "a" * 4000 + ".j", "/" + "ab" * 4000,
             "/a1", "/a9999"]
    slowest = 0.0
    for text in _hostile_files():
        robots = Robots.parse(text)
        for path in paths:
            # CPU time of this thread, the fastest of three runs: what the matcher costs, not
            # what a busy shared machine adds by scheduling other processes
            times = []
            for _ in range(3):
                started = time.thread_time()
                robots.allowed("loomery", path)
                times.append(time.thread_time() - started)
            slowest = max(slowest, min(times))
    # the backtracking matcher took over a minute on the first file; linear matching keeps
    # every single check under 10 ms
    assert slowest < 0.010, f"slowest check took {slowest * 1000:.1f} ms"


def test_a_group_over_the_matching_budget_disallows_everything():
    robots = Robots.parse(_hostile_files()[-1])
    assert robots.allowed("loomery", "/b") is False
    assert "all disallowed" in robots.source and "30000 rules" in robots.source
    within = Robots.parse(_hostile_files()[-3])
    assert within.allowed("loomery", "/b") is True and within.allowed("loomery", "/a17") is False


@pytest.mark.parametrize("values", [
    ["otherbot: noai, noimageai"], ["noai"], ["loomery: noimageai"], ["ccbot: noai"],
    ["otherbot: noindex, loomery: noimageai"], ["nofollow", "unavailable_after: 25 Jun 2030"],
])
def test_documents_and_fetcher_read_x_robots_tag_alike(values):
    from engine.html.consent import parse_x_robots_tag

    directives = set(parse_x_robots_tag(values, agents=("loomery",)))
    blocked_for_docs = bool(directives & {"noai", "noimageai", "none", "noindex", "noimageindex"})
    assert blocked_for_docs is xrobots.verdict(values, "loomery").blocked
