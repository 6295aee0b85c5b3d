#!/usr/bin/env python3
"""Verify a Tribunal case bundle offline. Standard library only: copy this file anywhere and run

    python3 verify_bundle.py case-bundle.zip

It recomputes the case audit hash chain, every exhibit's custody chain(s) and the SHA-256 of every included original,
and compares them with the heads recorded in the manifest. Exit status 0 = intact; 1 = the first problem is printed.
The hashing rules are those of Tribunal's disputes/audit.py and evidence/custody.py (sorted-key compact JSON).
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile

GENESIS = "0" * 64


def canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_chain(rows: list[dict], fields: list[str], head: str | None, length: int | None, what: str) -> None:
    prev, expected = GENESIS, 1
    for row in rows:
        if row["seq"] != expected:
            raise ValueError(f"{what}: entry #{expected} missing or out of order (found #{row['seq']})")
        if row["prev"] != prev:
            raise ValueError(f"{what}: entry #{row['seq']} does not link to the previous entry")
        body = {name: row[name] for name in fields}
        body["prev"] = row["prev"]
        if hashlib.sha256(canonical(body)).hexdigest() != row["hash"]:
            raise ValueError(f"{what}: entry #{row['seq']} was altered")
        prev, expected = row["hash"], expected + 1
    if head is not None and (prev != (head or GENESIS) or expected - 1 != length):
        raise ValueError(f"{what}: entries missing at the end (the head does not match)")


AUDIT_FIELDS = ["case", "seq", "name", "from", "to", "actor", "actor_role", "at", "payload", "visibility"]
CUSTODY_FIELDS = ["exhibit", "seq", "sealed", "action", "file", "actor", "actor_role", "at", "ip", "details"]


def read_jsonl(bundle: zipfile.ZipFile, name: str) -> list[dict]:
    return [json.loads(line) for line in bundle.read(name).decode().splitlines() if line.strip()]


def verify(path: str) -> list[str]:
    checked = []
    with zipfile.ZipFile(path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        check_chain(
            read_jsonl(bundle, "audit.jsonl"),
            AUDIT_FIELDS,
            manifest.get("audit_head"),
            manifest.get("audit_length"),
            "audit log",
        )
        checked.append("audit chain")
        for exhibit in manifest["exhibits"]:
            rows = read_jsonl(bundle, f"exhibits/{exhibit['label']}/custody.jsonl")
            check_chain(
                [r for r in rows if not r["sealed"]],
                CUSTODY_FIELDS,
                exhibit["custody_head"],
                exhibit["custody_length"],
                f"custody of {exhibit['label']}",
            )
            if exhibit.get("sealed_custody_head") is not None:
                check_chain(
                    [r for r in rows if r["sealed"]],
                    CUSTODY_FIELDS,
                    exhibit["sealed_custody_head"],
                    exhibit["sealed_custody_length"],
                    f"sealed custody of {exhibit['label']}",
                )
            for item in exhibit["files"]:
                if not item["included"]:
                    continue
                digest = hashlib.sha256()
                with bundle.open(f"exhibits/{exhibit['label']}/files/{item['sha256']}") as handle:
                    while chunk := handle.read(8 * 1024 * 1024):
                        digest.update(chunk)
                if digest.hexdigest() != item["sha256"]:
                    raise ValueError(f"{exhibit['label']}/{item['name']}: the file does not match its SHA-256")
            checked.append(f"exhibit {exhibit['label']}")
    return checked


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    try:
        checked = verify(sys.argv[1])
    except (ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as problem:
        print(f"NOT INTACT: {problem}")
        return 1
    print(f"INTACT: {', '.join(checked)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
