"""Detection and false-alarm rates of logs.extraction over many seeded fixture logs (numbers for the docs).

    .venv/bin/python -m benchmarks.validate_logs [--seeds 20] [--benign-users 80]

For every seed a fresh log (80 benign users and the four attackers of forensics.logs.fixtures) is analysed with
volume_threshold=5000; the table gives, per kind of account, how often it was flagged and how often for its
expected reason, and the share of benign accounts flagged (false alarms), with PRADA's delta per seed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from forensics.logs import detect_extraction
from forensics.logs.fixtures import generate_rows, write_log

EXPECTED = {
    "perturb": "PRADA alarm",
    "natural": "prompt template",
    "multi": "linked to",
    "sweeper": "logit-bias sweep",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--benign-users", type=int, default=80)
    args = parser.parse_args()
    tally: dict[str, dict[str, int]] = {}
    benign_total = benign_flagged = benign_prada = 0
    deltas = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.seeds):
            rows, truth = generate_rows(seed=1000 + seed, benign_users=args.benign_users)
            path = write_log(rows, Path(folder) / "log.parquet", "parquet")
            result = detect_extraction(path, volume_threshold=5000)
            deltas.append(result["calibration"]["delta"])
            accounts = {row["account_id"]: row for row in result["accounts"]}
            for kind, reason in EXPECTED.items():
                entry = tally.setdefault(kind, {"accounts": 0, "flagged": 0, "for_reason": 0})
                for account in truth[kind]:
                    row = accounts[account]
                    entry["accounts"] += 1
                    entry["flagged"] += int(row["flagged"])
                    entry["for_reason"] += int(any(reason in text for text in row["reasons"]))
            for account in truth["benign"]:
                benign_total += 1
                benign_flagged += int(accounts[account]["flagged"])
                benign_prada += int(accounts[account]["prada"]["alarm"])
    print(f"{'account kind':14} {'accounts':>9} {'flagged':>8} {'for expected reason':>20}")
    for kind, entry in tally.items():
        print(
            f"{kind:14} {entry['accounts']:9d} {entry['flagged'] / entry['accounts']:8.1%} "
            f"{entry['for_reason'] / entry['accounts']:20.1%}"
        )
    print(
        f"{'benign':14} {benign_total:9d} {benign_flagged / benign_total:8.2%} "
        f"{'PRADA alarms ' + format(benign_prada / benign_total, '.2%'):>20}"
    )
    print(
        f"PRADA delta per seed: min {min(deltas):.3f}, median {sorted(deltas)[len(deltas) // 2]:.3f}, "
        f"max {max(deltas):.3f}"
    )
    out = {
        "seeds": args.seeds,
        "by_kind": tally,
        "benign": {"accounts": benign_total, "flagged": benign_flagged, "prada_alarms": benign_prada},
        "deltas": deltas,
    }
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "validate_logs.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
