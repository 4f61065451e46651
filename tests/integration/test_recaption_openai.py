"""The openai captioner against a loopback chat-completions server: replies, retries, limits."""

import email.utils
import io
import json
import time

from PIL import Image

from recaption.backends.openai_backend import OpenAICaptioner, parse_retry_after
from recaption.captioner import CaptionRequest
from recaption.testing import Behaviour, ChatServer


def encoded(color, fmt="JPEG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, fmt)
    return buf.getvalue()


def captioner(server: ChatServer, **kw) -> OpenAICaptioner:
    kw.setdefault("backoff_s", 0.01)
    kw.setdefault("timeout_s", 5.0)
    return OpenAICaptioner("loopback-vlm", base_url=server.base_url, revision="r1", **kw)


def test_captions_come_back_in_order_with_images_inline(monkeypatch):
    monkeypatch.setenv("LOOPBACK_KEY", "sk-test")
    images = [encoded((i * 40, 10, 10), fmt) for i, fmt in enumerate(["JPEG", "PNG"] * 3)]
    with ChatServer(reply="A red square.") as server:
        cap = captioner(server, api_key_env="LOOPBACK_KEY", concurrency=3)
        gens = cap.generate([CaptionRequest(im, f"prompt {i}", 24) for i, im in enumerate(images)])
        cap.close()
    assert [g.text for g in gens] == ["A red square."] * 6
    assert all(g.error is None and g.tokens == 3 and not g.hit_token_limit for g in gens)
    assert sorted(server.seen.images) == sorted(images)  # base64 data URLs decode to the bytes
    body = server.seen.bodies[0]
    assert body["model"] == "loopback-vlm" and body["max_tokens"] == 24
    assert body["temperature"] == 0.0 and body["seed"] == 0
    url = body["messages"][0]["content"][0]["image_url"]["url"]
    assert url.startswith(("data:image/jpeg;base64,", "data:image/png;base64,"))
    assert set(server.seen.auth) == {"Bearer sk-test"}


def test_server_errors_are_retried_until_success():
    plan = {"p": [Behaviour("error"), Behaviour("error")]}
    with ChatServer(plan=plan) as server:
        gen = captioner(server, max_retries=3).generate([CaptionRequest(encoded(1), "p")])[0]
    assert gen.error is None and gen.text
    assert len(server.seen.bodies) == 3


def test_rate_limit_waits_for_retry_after():
    plan = {"p": [Behaviour("rate_limit", seconds=0.6)]}
    with ChatServer(plan=plan) as server:
        gen = captioner(server, backoff_s=0.001).generate([CaptionRequest(encoded(1), "p")])[0]
    assert gen.error is None
    first, second = server.seen.times
    assert second - first >= 0.55  # the back-off alone would have waited about a millisecond


def test_slow_replies_time_out_retry_and_fail_with_reason():
    plan = {"slow": [Behaviour("slow", seconds=3)] * 3, "late": [Behaviour("slow", seconds=3)]}
    with ChatServer(plan=plan) as server:
        started = time.monotonic()
        cap = captioner(server, timeout_s=0.3, max_retries=2)
        slow, late = cap.generate([CaptionRequest(encoded(1), "slow"), CaptionRequest(encoded(2), "late")])
        elapsed = time.monotonic() - started
    assert slow.text is None and "Timeout" in slow.error and "3 attempt" in slow.error
    assert late.error is None and late.text  # the second attempt was fast
    assert elapsed < 5


def test_malformed_and_client_errors_fail_at_once():
    plan = {"bad": [Behaviour("malformed")], "denied": [Behaviour("status", status=400)]}
    with ChatServer(plan=plan) as server:
        bad, denied, fine = captioner(server).generate(
            [CaptionRequest(encoded(1), p) for p in ("bad", "denied", "fine")]
        )
    assert bad.text is None and bad.error.startswith("malformed reply")
    assert denied.text is None and denied.error.startswith("HTTP 400")
    assert fine.error is None
    assert len(server.seen.bodies) == 3  # neither failure was retried


def test_concurrency_is_bounded():
    with ChatServer(latency_s=0.15) as server:
        cap = captioner(server, concurrency=3)
        gens = cap.generate([CaptionRequest(encoded(i), f"p{i}") for i in range(12)])
    assert all(g.error is None for g in gens)
    assert 2 <= server.seen.max_in_flight <= 3


def test_unreadable_image_is_not_sent_and_length_is_flagged():
    plan = {"long": [Behaviour("length", text="one two three four five six")]}
    with ChatServer(plan=plan) as server:
        junk, long = captioner(server).generate(
            [CaptionRequest(b"not an image", "junk"), CaptionRequest(encoded(3), "long", 4)]
        )
    assert junk.error_status == "bad_image" and junk.error
    assert long.hit_token_limit and long.text == "one two three four"
    assert len(server.seen.bodies) == 1


def test_unreachable_endpoint_fails_after_bounded_retries():
    cap = OpenAICaptioner("m", base_url="http://127.0.0.1:9/v1", max_retries=1, backoff_s=0.01)
    gen = cap.generate([CaptionRequest(encoded(1), "p")])[0]
    assert gen.text is None and "2 attempt" in gen.error


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("3") == 3.0 and parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after(future) <= 31
    assert parse_retry_after(email.utils.formatdate(time.time() - 30, usegmt=True)) == 0.0


def test_cli_try_captions_files_through_an_endpoint(tmp_path, capsys):
    from loomery.cli import main

    paths = []
    for i, fmt in enumerate(["JPEG", "PNG"]):
        path = tmp_path / f"im{i}.{fmt.lower()}"
        path.write_bytes(encoded((i * 90, 0, 0), fmt))
        paths.append(str(path))
    (tmp_path / "junk.jpg").write_bytes(b"junk")
    paths.append(str(tmp_path / "junk.jpg"))
    with ChatServer(reply="In this image, a dark square.") as server:
        code = main(
            [
                "recaption",
                "try",
                *paths,
                "--backend",
                "openai",
                "--model",
                "m",
                "--url",
                server.base_url,
                "--prompt",
                "alt_text",
                "--alt-text",
                "a square",
            ]
        )
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["caption"], r["status"]) for r in lines] == [
        ("A dark square.", "ok"),
        ("A dark square.", "ok"),
        (None, "bad_image"),
    ]
    assert lines[0]["meta"]["prompt"] == "alt_text" and lines[0]["meta"]["backend"] == "openai"
    assert '"a square"' in server.seen.bodies[0]["messages"][0]["content"][1]["text"]
