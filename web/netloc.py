"""Which addresses a server may listen on, and the Host/Origin values it accepts (DNS-rebinding guard)."""

from __future__ import annotations

import ipaddress

from mcp.server.transport_security import TransportSecuritySettings

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (a bracketed IPv6 literal too)."""
    text = host.strip().strip("[]").lower()
    if text in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def transport_security(host: str, port: int) -> TransportSecuritySettings:
    """Host and Origin checking on for every bind: only the loopback names (and the bound host) at this port."""
    bound = host.strip().strip("[]")
    names = {"127.0.0.1", "localhost", "[::1]", f"[{bound}]" if ":" in bound else bound}
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=sorted(f"{name}:{port}" for name in names),
        allowed_origins=sorted(f"http://{name}:{port}" for name in names),
    )
