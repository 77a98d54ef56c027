"""Outbound webhooks: Standard Webhooks signatures and the SSRF guard.

Signature (https://www.standardwebhooks.com): headers webhook-id, webhook-timestamp
(epoch seconds) and webhook-signature = "v1," + base64(HMAC-SHA256(secret, f"{id}.{ts}.{body}")),
where the secret is the bytes after the "whsec_" prefix, base64-decoded.

SSRF: a URL whose host resolves to any address that is not globally routable (ipaddress'
is_global: loopback, link-local, private, CGNAT 100.64.0.0/10 — Alibaba Cloud's metadata service
is 100.100.100.200 —, reserved, documentation ranges) or is multicast, including IPv4 addresses
wrapped in IPv6 (mapped, 6to4, NAT64), is refused unless WEBHOOKS_ALLOW_PRIVATE is set
(development and tests); the check runs at registration and again before every attempt, and
redirects are never followed. An attempt connects to an address that check approved
(`post_pinned`), with the URL's host name in the Host header and, for https, in SNI and the
certificate check: a name that resolves to a public address for the check and to an internal one
a moment later (DNS rebinding) cannot steer the request.
"""

import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

import certifi
import urllib3

SECRET_PREFIX = "whsec_"


class UnsafeURL(ValueError):
    """The URL may not be called from the platform."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value for one message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does: recompute and compare in constant time (any of several signatures)."""
    expected = sign(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
    return any(hmac.compare_digest(expected, sig) for sig in headers["webhook-signature"].split())


def headers_for(secret: str, message_id: str, timestamp: int, body: bytes) -> dict:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
        "user-agent": "Gridwork-Webhooks/1",
    }


def check_url(url: str, *, allow_private: bool) -> list[str]:
    """The addresses the URL's host resolves to; UnsafeURL if any is not public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("only http(s) URLs with a host")
    if parts.username or parts.password:
        raise UnsafeURL("credentials in the URL are not allowed")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror as exc:
        raise UnsafeURL(f"the host does not resolve: {exc}") from exc
    addresses = sorted({info[4][0] for info in infos})
    if not allow_private:
        bad = [a for a in addresses if not is_public(a)]
        if bad:
            raise UnsafeURL(f"the host resolves to a non-public address ({', '.join(bad)})")
    return addresses


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(address: str) -> bool:
    """Globally routable unicast, and so is any IPv4 address the IPv6 one carries."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo or (None, None))[1]
        if ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        return embedded is None or is_public(str(embedded))
    return True


def post_pinned(url: str, address: str, body: bytes, headers: dict, timeout: float) -> int:
    """POST to the URL over a connection to `address` (one check_url returned); the HTTP status.
    No redirects are followed and nothing is retried here (the outbox retries)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    options = dict(port=port, timeout=urllib3.Timeout(total=timeout), retries=False, maxsize=1)
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            server_hostname=parts.hostname,
            assert_hostname=parts.hostname,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, **options)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        response = pool.urlopen(
            "POST", target, body=body, headers={**headers, "Host": parts.netloc}, redirect=False, retries=False
        )
        return response.status
    finally:
        pool.close()
