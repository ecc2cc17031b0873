"""What may be fetched: schemes, addresses and limits, and how URLs appear in messages."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

ALLOWED_SCHEMES = frozenset({"http", "https"})
CGNAT = ipaddress.ip_network("100.64.0.0/10")
MB = 1_000_000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchRefused(Exception):
    """The policy forbids this fetch (scheme, address, size, budget); never retried."""


class FetchFailed(Exception):
    """The fetch was allowed but did not give an image (HTTP error, timeout, bad content)."""


Resolver = Callable[[str, int], list[str]]  # (host, port) -> IP addresses


def system_resolver(host: str, port: int) -> list[str]:
    """IP addresses of `host` from the system resolver, in its preferred order."""
    import socket  # here: a build that downloads nothing does not import the network stack

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise FetchFailed(f"cannot resolve host {host!r} ({reason})") from None
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(str(sockaddr[0]))
    return addresses


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits of remote media fetching; the defaults suit a public conference site."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()  # exceptions to the address rules
    max_redirects: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0  # per file, so a server dribbling bytes cannot stall a build
    max_bytes: int = 5 * MB  # per file
    budget_bytes: int = 200 * MB  # per build
    max_pixels: int = 40_000_000  # decompression bombs
    workers: int = 8

    def address_refusal(self, address: str) -> str | None:
        """Why connecting to `address` is refused, or None when it is allowed."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self.allow_private or any(ip in net for net in self.allowed_networks):
            return None
        return non_public_reason(ip)


def non_public_reason(ip: IPAddress) -> str | None:
    """The kind of non-public address `ip` is, or None for a public unicast address."""
    checks = (
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT, "carrier-grade NAT"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "non-public"),
    )
    for matches, kind in checks:
        if matches:
            return f"{kind} address {ip}"
    return None


def check_url(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of a fetchable URL; raises FetchRefused for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(f"malformed URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise FetchRefused(f"scheme {scheme or '(none)'!r} is not allowed (only http and https)")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("credentials in media URLs are not supported")
    host = parts.hostname
    if not host:
        raise FetchRefused("the URL has no host")
    return scheme, host, port or (443 if scheme == "https" else 80)


def display_url(url: str) -> str:
    """A URL safe to print: no credentials, no query or fragment (they may hold tokens)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "(malformed URL)"
    query = "?…" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")) + query
