"""logs.extraction on seeded fixtures: each attacker flagged for its reason, benign users not, formats agree."""

from __future__ import annotations

import json
import os

import pytest

from forensics.common import ForensicsInputError
from forensics.logs import charts, detect_extraction, validate_log
from forensics.logs.fixtures import generate_rows, write_broken_csv, write_log

THRESHOLD = 5000


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("logs")
    rows, truth = generate_rows(seed=3)
    paths = {fmt: write_log(rows, folder / f"log.{fmt}", fmt) for fmt in ("jsonl", "csv", "parquet")}
    return paths, truth, len(rows)


@pytest.fixture(scope="module")
def result(logs):
    paths, _, _ = logs
    return detect_extraction(paths["parquet"], volume_threshold=THRESHOLD)


def by_id(result):
    return {row["account_id"]: row for row in result["accounts"]}


def test_envelope_and_json(result, logs):
    _, _, count = logs
    assert result["analysis"] == "logs.extraction"
    assert result["rows"] == {"total": count, "valid": count}
    assert result["bad_rows"]["count"] == 0
    json.dumps(result, allow_nan=False)


def test_perturbation_attacker_caught_by_prada(result):
    row = by_id(result)["perturb-1"]
    assert row["flagged"]
    assert row["prada"]["alarm"]
    assert any(reason.startswith("PRADA alarm") for reason in row["reasons"])
    assert row["features"]["requests"] < THRESHOLD  # volume alone would not have caught it


def test_natural_attacker_caught_by_volume_and_template(result):
    row = by_id(result)["natural-1"]
    assert row["flagged"]
    assert any("Charter threshold" in reason for reason in row["reasons"])
    assert any("prompt template" in reason for reason in row["reasons"])


def test_logit_bias_sweeper(result):
    row = by_id(result)["sweeper-1"]
    assert row["flagged"]
    assert any("logit-bias sweep" in reason for reason in row["reasons"])


def test_multi_account_attacker_only_linking_reveals(result, logs):
    _, truth, _ = logs
    accounts = by_id(result)
    for account in truth["multi"]:
        assert accounts[account]["features"]["requests"] < THRESHOLD
        assert not any("Charter threshold of" in r and r.startswith("sent") for r in accounts[account]["reasons"])
        assert accounts[account]["flagged"]
    cluster = next(c for c in result["clusters"] if set(truth["multi"]) <= set(c["accounts"]))
    assert cluster["flagged"]
    assert set(cluster["accounts"]) == set(truth["multi"])
    text = " ".join(cluster["reasons"])
    assert "203.0.113.0/24" in text
    assert "harvest-kit/0.3" in text
    assert "together sent 5,400" in text


def test_benign_users_not_flagged(result, logs):
    _, truth, _ = logs
    accounts = by_id(result)
    assert not [account for account in truth["benign"] if accounts[account]["flagged"]]
    assert not any(c["flagged"] for c in result["clusters"] if set(c["accounts"]) & set(truth["benign"]))
    ranked = [row["account_id"] for row in result["accounts"]]
    worst_attacker = max(ranked.index(a) for a in ("natural-1", "sweeper-1", "perturb-1"))
    assert worst_attacker < len(ranked) - len(truth["benign"]) + 1


def test_calibration_reported(result):
    calibration = result["calibration"]
    assert calibration["accounts"] >= 80
    assert 0.5 < calibration["delta"] < 0.95
    assert calibration["target_false_alarm_rate"] == 0.001


def test_benign_reference_calibration(tmp_path, logs):
    paths, _, _ = logs
    benign_rows, _ = generate_rows(seed=11, benign_users=120, attackers=False)
    reference = write_log(benign_rows, tmp_path / "benign.parquet", "parquet")
    out = detect_extraction(paths["parquet"], volume_threshold=THRESHOLD, benign_reference=reference)
    assert out["calibration"]["source"] == "benign reference log"
    assert out["calibration"]["false_alarm_rate"] == 0.0
    assert [i["role"] for i in out["inputs"]] == ["log", "benign_reference"]


def test_all_formats_give_the_same_result(logs, result):
    paths, _, _ = logs

    def essence(res):
        return [(r["account_id"], r["score"], r["flagged"], r["prada"]["w"]) for r in res["accounts"]], [
            (c["accounts"], c["flagged"]) for c in res["clusters"]
        ]

    for fmt in ("jsonl", "csv"):
        assert essence(detect_extraction(paths[fmt], volume_threshold=THRESHOLD)) == essence(result)


def test_timelines_and_charts(result):
    flagged = [row["account_id"] for row in result["accounts"] if row["flagged"]]
    assert set(result["timelines"]) == set(flagged[:10])
    assert sum(n for _, n in result["timelines"]["natural-1"]) == 6000
    svgs = charts(result)
    assert set(svgs) == {"timelines", "prada", "scores"}
    assert all(svg.lstrip().startswith("<?xml") and "<svg" in svg for svg in svgs.values())


def test_broken_csv_rows_counted_with_line_numbers(tmp_path):
    path = tmp_path / "broken.csv"
    expected = write_broken_csv(path)
    report = validate_log(path)
    assert report["format"] == "csv"
    assert report["bad_rows"]["count"] == len(expected)
    assert report["bad_rows"]["examples"] == expected
    assert report["rows"]["valid"] == 40
    out = detect_extraction(path, volume_threshold=THRESHOLD)
    assert out["bad_rows"]["count"] == len(expected)
    assert out["bad_rows"]["examples"] == expected
    assert out["warnings"]


def test_jsonl_line_numbers_and_unknown_columns(tmp_path):
    path = tmp_path / "log.jsonl"
    good = {"timestamp": "2025-03-03T10:00:00Z", "account_id": "a", "prompt": "hi", "team": "x"}
    lines = [
        json.dumps(good),
        "{not json",
        "",
        json.dumps({**good, "timestamp": 1741000000}),
        "[1, 2]",
        json.dumps({**good, "account_id": ""}),
        json.dumps({**good, "logit_bias": {"50256": -100}}),
    ]
    path.write_text("\n".join(lines) + "\n")
    report = validate_log(path, max_examples=2)
    assert report["rows"] == {"total": 6, "valid": 3, "bad": 3}
    assert report["bad_rows"]["examples"] == [
        {"line": 2, "reason": "not valid JSON"},
        {"line": 5, "reason": "JSON value is not an object"},
    ]
    assert report["unknown_columns"] == ["team"]


def test_missing_required_column_is_a_clear_error(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("time,account_id,prompt\n1,a,b\n")
    with pytest.raises(ForensicsInputError, match="timestamp"):
        validate_log(path)
    fake = tmp_path / "x.parquet"
    fake.write_text("timestamp,account_id\n")
    with pytest.raises(ForensicsInputError, match="Parquet"):
        detect_extraction(fake)


def test_one_pass_over_the_log_and_nothing_left_behind(logs, monkeypatch):
    """The log is checked and aggregated by ONE scan (plus a bounded look at its first rows), and the private
    spill dir is removed at the end."""
    from forensics.logs import reader

    paths, _, count = logs
    scans: list[bool] = []
    spill_dirs: list[str] = []
    sql, open_source = reader.LogSource.sql, reader.LogSource.open.__func__

    def spy_sql(self, *, rejects=False):
        scans.append(rejects)
        return sql(self, rejects=rejects)

    def spy_open(cls, path, memory_limit, **kwargs):
        source = open_source(cls, path, memory_limit, **kwargs)
        spill_dirs.append(str(source.spill_dir))
        return source

    monkeypatch.setattr(reader.LogSource, "sql", spy_sql)
    monkeypatch.setattr(reader.LogSource, "open", classmethod(spy_open))
    out = detect_extraction(paths["csv"], volume_threshold=THRESHOLD)
    assert out["rows"]["total"] == count
    assert scans == [False, True]  # the head count (LIMIT), then the one full scan that also stores CSV rejects
    assert len(spill_dirs) == 1 and not os.path.exists(spill_dirs[0])


def test_minutes_are_whole_clock_minutes(tmp_path):
    """Three requests inside 10:00 are one minute (DuckDB's // on DOUBLE divides; rounding would split them)."""
    path = tmp_path / "log.jsonl"
    stamps = ["10:00:05", "10:00:35", "10:00:55", "10:02:40"]
    lines = [
        json.dumps({"timestamp": f"2025-03-03T{stamp}Z", "account_id": "a", "prompt": f"question {i}"})
        for i, stamp in enumerate(stamps)
    ]
    path.write_text("\n".join(lines) + "\n")
    out = detect_extraction(path, volume_threshold=3)
    features = out["accounts"][0]["features"]
    assert (features["peak_per_minute"], features["active_minutes"], features["peak_per_day"]) == (3, 2, 4)
    # Span 155 s -> 3 minutes counted for the dispersion: mean 4/3, sum of squares 9 + 1.
    assert features["dispersion_per_minute"] == round((10 / 3 - (4 / 3) ** 2) / (4 / 3), 4)
    assert out["timelines"]["a"] == [["2025-03-03T10:00:00Z", 3], ["2025-03-03T10:02:00Z", 1]]


def test_minute_stats_match_a_direct_count(monkeypatch):
    from collections import Counter

    import numpy as np

    from forensics.logs import aggregate
    from forensics.logs.aggregate import minute_stats

    monkeypatch.setattr(aggregate, "MINUTE_CHUNK", 8)  # several chunks, and one account larger than a chunk

    rng = np.random.default_rng(5)
    segments = [np.sort(rng.integers(27_000_000, 27_000_000 + 4000, size=n)).astype(np.int32) for n in (1, 7, 500, 3)]
    offsets = np.r_[0, np.cumsum([len(seg) for seg in segments])]
    stats = minute_stats(np.concatenate(segments), offsets)
    for index, seg in enumerate(segments):
        per_minute = Counter(seg.tolist())
        per_day = Counter((seg // 1440).tolist())
        assert stats["peak_per_minute"][index] == max(per_minute.values())
        assert stats["active_minutes"][index] == len(per_minute)
        assert stats["sum_sq_minute"][index] == sum(n * n for n in per_minute.values())
        assert stats["peak_per_day"][index] == max(per_day.values())
