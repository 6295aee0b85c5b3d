"""Link accounts that share infrastructure or prompt templates (union-find), keeping the reasons."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass, field

# User agents of common HTTP clients and SDKs are shared by strangers; they say nothing about who is behind them.
GENERIC_AGENT_PREFIXES = (
    "mozilla/",
    "python-requests/",
    "python-httpx/",
    "curl/",
    "okhttp/",
    "axios/",
    "node-fetch/",
    "go-http-client/",
    "java/",
    "openai/",
    "openai-python/",
    "anthropic-",
    "aiohttp/",
    "postmanruntime/",
)


def is_generic_agent(agent: str) -> bool:
    low = agent.strip().lower()
    return not low or low.startswith(GENERIC_AGENT_PREFIXES)


def subnet_of(ip: str) -> str | None:
    """The /24 of an IPv4 address (or the /48 of an IPv6 one); None when the value is not an address."""
    parts = ip.strip().split(".")
    if len(parts) == 4 and all(part.isdigit() and len(part) <= 3 for part in parts):
        # Fast path: the ipaddress module costs ~100 us per call, too slow for a million (account, IP) pairs.
        octets = [int(part) for part in parts]
        return f"{octets[0]}.{octets[1]}.{octets[2]}.0/24" if max(octets) <= 255 else None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression keeps later finds flat
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class Cluster:
    accounts: list[str]
    reasons: list[str] = field(default_factory=list)


def link_accounts(
    keys_by_account: dict[str, dict[str, list[str]]], *, max_share: float = 0.05, min_generic: int = 10
) -> tuple[list[Cluster], dict[str, int]]:
    """Cluster accounts that share a key of any kind ("ip", "subnet", "user agent", "prompt template").

    A key held by more than ``max(min_generic, max_share x accounts)`` accounts is treated as generic (a carrier
    NAT, a public proxy, a popular template) and ignored; how many were ignored is returned per kind.
    """
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for account, kinds in keys_by_account.items():
        for kind, keys in kinds.items():
            for key in set(keys):
                holders[(kind, key)].append(account)
    limit = max(min_generic, int(max_share * len(keys_by_account)))
    uf = UnionFind()
    shared: dict[tuple[str, str], list[str]] = {}
    ignored: dict[str, int] = defaultdict(int)
    for (kind, key), accounts in holders.items():
        if len(accounts) < 2:
            continue
        if len(accounts) > limit:
            ignored[kind] += 1
            continue
        shared[(kind, key)] = sorted(accounts)
        for other in accounts[1:]:
            uf.union(accounts[0], other)
    members: dict[str, list[str]] = defaultdict(list)
    for account in {acc for accounts in shared.values() for acc in accounts}:
        members[uf.find(account)].append(account)
    clusters: list[Cluster] = []
    for root, accounts in members.items():
        by_kind: dict[str, list[str]] = defaultdict(list)
        for (kind, key), holders_of_key in shared.items():
            if uf.find(holders_of_key[0]) == root:
                by_kind[kind].append(key)
        reasons = []
        for kind in ("ip", "subnet", "user agent", "prompt template"):
            keys = sorted(by_kind.get(kind, []))
            if keys:
                shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
                reasons.append(f"share {kind}{'s' if len(keys) > 1 else ''}: {shown}")
        clusters.append(Cluster(accounts=sorted(accounts), reasons=reasons))
    clusters.sort(key=lambda cluster: (-len(cluster.accounts), cluster.accounts[0]))
    return clusters, dict(ignored)
