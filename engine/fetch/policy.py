"""What the fetcher is allowed to do, and what it tells about each URL."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.fetch.sniff import IMAGE_FORMATS
from engine.fetch.xrobots import OPT_OUT

DEFAULT_USER_AGENT = "loomery/0.1 (vision-language data crawler; honours robots.txt, X-Robots-Tag)"


@dataclass(frozen=True)
class FetchPolicy:
    """Settings of a fetch. The defaults are the safe ones: no private address is reachable
    unless ``allow_hosts`` names it (host names, IPs or CIDRs, a list or a comma-separated
    string), robots.txt and X-Robots-Tag are honoured, every size and time is bounded.

    ``expect="image"`` checks the Content-Type, the format by magic bytes against ``formats``
    and the pixel count from the header; ``expect="any"`` returns any body as it is.
    ``timeout_s`` bounds one attempt at a URL, redirects, robots.txt and body included.
    TLS is always verified against the host name; ``ca_file`` adds trusted CAs, never removes
    the check. A redirect from https to http is refused (``insecure_redirect``).
    Proxies are never used (the address policy cannot be enforced behind one): when the
    environment sets ``HTTP(S)_PROXY``/``ALL_PROXY`` the fetcher refuses to start unless
    ``direct_despite_proxy_env`` says to crawl directly anyway.
    Connections are pooled and kept alive: at most ``per_host_concurrency`` per host, and at
    most ``max_idle_connections`` idle in all (the least recently used host's are closed first).
    """

    allow_hosts: tuple[str, ...] = ()
    user_agent: str = DEFAULT_USER_AGENT
    robots_token: str = "loomery"  # product token matched in robots.txt and X-Robots-Tag
    max_bytes: int = 20 * 1024 * 1024
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    max_redirects: int = 5
    max_pixels: int = 89_478_485  # Pillow's own bomb threshold
    formats: tuple[str, ...] = IMAGE_FORMATS
    expect: str = "image"
    check_content_type: bool = True
    respect_robots: bool = True
    respect_x_robots: bool = True
    x_robots_block: tuple[str, ...] = OPT_OUT
    per_host_concurrency: int = 16
    max_idle_connections: int = 256  # kept-alive connections idle at once, all hosts together
    retries: int = 2
    backoff_s: float = 0.5
    max_retry_after_s: float = 30.0
    robots_timeout_s: float = 10.0
    ca_file: str | None = None  # extra trusted CAs (PEM), for private deployments and tests
    direct_despite_proxy_env: bool = False
    # TDMRep (engine/consent/fetch_check.py): check gathers the evidence, respect enforces it
    check_tdmrep: bool = True
    respect_tdmrep: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.allow_hosts, str):
            hosts = tuple(h.strip() for h in self.allow_hosts.split(",") if h.strip())
            object.__setattr__(self, "allow_hosts", hosts)
        else:
            object.__setattr__(self, "allow_hosts", tuple(self.allow_hosts))
        object.__setattr__(self, "formats", tuple(f.lower() for f in self.formats))
        if self.expect not in ("image", "any"):
            raise ValueError("expect must be 'image' or 'any'")
        if self.max_bytes < 1 or self.timeout_s <= 0 or self.max_redirects < 0:
            raise ValueError("max_bytes and timeout_s must be positive, max_redirects >= 0")


@dataclass(slots=True)  # one per URL: no per-instance dict to allocate and collect
class FetchResult:
    """What happened to one URL. ``reason`` is None when ``content`` holds the body; otherwise
    a short stable token (``dns``, ``blocked_address``, ``robots_txt``, ``http_404``, ...) and
    ``detail`` says more. ``robots`` and ``x_robots_tag`` are the consent evidence checked."""

    url: str
    final_url: str | None = None
    status: int | None = None
    content: bytes | None = None
    content_type: str | None = None
    reason: str | None = None
    detail: str | None = None
    x_robots_tag: str | None = None
    robots: str | None = None
    attempts: int = 0
    redirects: int = 0
    image_format: str | None = None
    width: int | None = None
    height: int | None = None
    elapsed_s: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reason is None
