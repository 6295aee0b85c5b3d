"""Automatic conflict check: an arbitrator's declared affiliations against the parties and their affiliates."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Legal-form words carry no identity: "Acme AI Ltd" and "ACME AI, Inc." are the same organisation for this check.
LEGAL_FORMS = {
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "llp",
    "lp",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "bv",
    "nv",
    "corp",
    "corporation",
    "co",
    "company",
    "kk",
    "pte",
    "pty",
    "srl",
    "spa",
    "ab",
    "oy",
    "as",
    "the",
}


def normalise_organisation(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in LEGAL_FORMS]
    return " ".join(words)


@dataclass(frozen=True)
class ConflictHit:
    affiliation: str
    party_side: str
    matched: str
    how: str

    def as_dict(self) -> dict[str, str]:
        return {
            "affiliation": self.affiliation,
            "party_side": self.party_side,
            "matched": self.matched,
            "how": self.how,
        }


def find_conflicts(affiliations: Iterable[str], parties: Iterable[tuple[str, str, list[str]]]) -> list[ConflictHit]:
    """parties: (side, name, affiliates). A hit is an exact match after normalisation, or one name containing the
    other as whole words (so "Acme" hits "Acme Research" but "Acme" does not hit "Acmeon")."""
    hits: list[ConflictHit] = []
    for affiliation in affiliations:
        mine = normalise_organisation(affiliation)
        if not mine:
            continue
        for side, name, affiliates in parties:
            for candidate, how in [(name, "party")] + [(a, "affiliate of the party") for a in affiliates]:
                theirs = normalise_organisation(candidate)
                if not theirs:
                    continue
                if mine == theirs:
                    hits.append(ConflictHit(affiliation, side, candidate, f"same organisation as the {how}"))
                elif f" {mine} " in f" {theirs} " or f" {theirs} " in f" {mine} ":
                    hits.append(ConflictHit(affiliation, side, candidate, f"name overlaps the {how}"))
    return hits
