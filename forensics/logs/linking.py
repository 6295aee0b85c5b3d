"""Link accounts that share infrastructure or prompt templates (union-find), keeping the reasons."""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

_IPV4 = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")

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
    text = ip.strip()
    match = _IPV4.fullmatch(text)
    if match:
        # Fast path: the ipaddress module costs ~100 us per call, too slow for a million (account, IP) pairs.
        octets = [int(part) for part in match.groups()]
        return f"{octets[0]}.{octets[1]}.{octets[2]}.0/24" if max(octets) <= 255 else None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def subnets_of(ips: list[str], cache: dict[str, str | None]) -> list[str]:
    """Subnets of ``ips`` (non-addresses left out), memoised in ``cache``: accounts share most of their IPs."""
    out: list[str] = []
    for ip in ips:
        if ip in cache:
            net = cache[ip]
        else:
            net = cache[ip] = subnet_of(ip)
        if net:
            out.append(net)
    return out


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
    Clusters are the connected components of the accounts-sharing-a-key graph (scipy, not a Python union-find:
    a large log has millions of (account, key) pairs).
    """
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for account, kinds in keys_by_account.items():
        for kind, keys in kinds.items():
            for key in set(keys):
                holders[(kind, key)].append(account)
    limit = max(min_generic, int(max_share * len(keys_by_account)))
    index = {account: number for number, account in enumerate(keys_by_account)}
    shared: dict[tuple[str, str], list[str]] = {}
    ignored: dict[str, int] = defaultdict(int)
    edges: list[tuple[int, int]] = []
    for (kind, key), accounts in holders.items():
        if len(accounts) < 2:
            continue
        if len(accounts) > limit:
            ignored[kind] += 1
            continue
        shared[(kind, key)] = sorted(accounts)
        first = index[accounts[0]]
        edges.extend((first, index[other]) for other in accounts[1:])
    if not edges:
        return [], dict(ignored)
    pairs = np.array(edges, dtype=np.int64)
    graph = sparse.coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(len(index), len(index))
    )
    _, labels = csgraph.connected_components(graph, directed=False)
    members: dict[int, set[str]] = defaultdict(set)
    by_label: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (kind, key), accounts in shared.items():
        label = int(labels[index[accounts[0]]])
        members[label].update(accounts)
        by_label[label][kind].append(key)
    clusters: list[Cluster] = []
    for label, names in members.items():
        reasons = []
        for kind in ("ip", "subnet", "user agent", "prompt template"):
            keys = sorted(by_label[label].get(kind, []))
            if keys:
                shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
                reasons.append(f"share {kind}{'s' if len(keys) > 1 else ''}: {shown}")
        clusters.append(Cluster(accounts=sorted(names), reasons=reasons))
    clusters.sort(key=lambda cluster: (-len(cluster.accounts), cluster.accounts[0]))
    return clusters, dict(ignored)
