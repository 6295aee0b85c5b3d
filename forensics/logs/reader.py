"""Read an API query log (DESIGN §6) through DuckDB without loading it into memory.

The log may be JSONL, CSV or Parquet. Every format is turned into one SQL ``SELECT`` with the same normalised
columns, so the aggregates in :mod:`forensics.logs.aggregate` never care about the format. A row that breaks the
schema is not dropped: it keeps a ``reason`` (NULL for good rows) so it can be counted and shown with its line
number. Line numbers are physical lines for JSONL (counted by DuckDB itself), file lines found by a short
streaming pass for CSV (DuckDB does not expose them for parsed CSV records), and 1-based row numbers for Parquet.
"""

# SQL here is composed from fixed fragments; file paths and column names only enter through _quote/_ident.
# ruff: noqa: S608

from __future__ import annotations

import csv
import math
import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from forensics.common import ForensicsInputError

REQUIRED = ("timestamp", "account_id")
PROMPT_FIELDS = ("prompt", "prompt_sha256")
OPTIONAL = (
    "request_id",
    "api_key_id",
    "ip",
    "user_agent",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "top_logprobs",
    "logit_bias",
    "status",
)
KNOWN = REQUIRED + PROMPT_FIELDS + OPTIONAL
INTEGER_FIELDS = ("prompt_tokens", "completion_tokens", "top_logprobs")
NUMERIC_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
}

# Plausible epoch-second range. A value outside it is almost always milliseconds or a typo, and would
# silently stretch an account's active span by decades if accepted.
EPOCH_MIN = 946_684_800.0  # 2000-01-01
EPOCH_MAX = 4_102_444_800.0  # 2100-01-01

# Reasons are fixed phrases (no values) so they can be grouped and counted.
R_JSON = "not valid JSON"
R_OBJECT = "JSON value is not an object"
R_ACCOUNT = "missing account_id"
R_TS_MISSING = "missing timestamp"
R_TS_FORMAT = "timestamp is neither ISO 8601 nor epoch seconds"
R_TS_RANGE = "timestamp outside 2000-2100 (epoch milliseconds instead of seconds?)"
R_PROMPT = "missing prompt and prompt_sha256"
R_SHA = "prompt_sha256 is not 64 hexadecimal digits"
R_LOGIT = "logit_bias is not a boolean"
R_FIELDS = "wrong number of fields"
R_CSV = "unreadable CSV record"


def r_int(name: str) -> str:
    return f"{name} is not a non-negative integer"


TRUE_WORDS = ("true", "t", "1", "yes", "y")
FALSE_WORDS = ("false", "f", "0", "no", "n", "", "{}", "null")


def detect_format(path: str | os.PathLike[str]) -> str:
    """Return "parquet", "jsonl" or "csv" by content; the extension only breaks no ties, it is never trusted."""
    file = Path(path)
    if not file.is_file():
        raise ForensicsInputError(f"The log file {file.name!r} does not exist.")
    with open(file, "rb") as handle:
        head = handle.read(65536)
    if not head:
        raise ForensicsInputError("The log file is empty.")
    if head[:4] == b"PAR1":
        return "parquet"
    if file.suffix.lower() == ".parquet":
        raise ForensicsInputError("The file is named .parquet but does not start with the Parquet magic bytes.")
    if b"\x00" in head:
        raise ForensicsInputError("The log is a binary file, not JSONL, CSV or Parquet.")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return "jsonl" if text.startswith(b"{") else "csv"


def connect(
    memory_limit: str = "1GB", threads: int | None = None, temp_directory: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB with a memory cap (it spills to a temp dir beyond it) and UTC timestamps.

    Without ``temp_directory`` DuckDB would spill into ``.tmp`` under the current directory.
    """
    con = duckdb.connect(":memory:")
    con.execute("SET timezone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # it writes to stdout, which belongs to the caller
    con.execute(f"SET memory_limit = '{memory_limit}'")
    if temp_directory:
        con.execute(f"SET temp_directory = {_quote(temp_directory)}")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}


def share_of(memory_limit: str, fraction: float) -> str:
    """``fraction`` of a DuckDB memory size such as "1GB" (decimal units, as DuckDB reads them), in bytes."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", memory_limit)
    unit = _UNITS.get(match.group(2).upper()) if match else None
    if match is None or unit is None:
        return memory_limit  # let DuckDB judge (and reject) what it does not recognise here
    return f"{int(float(match.group(1)) * unit * fraction)}B"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _blank_text(expr: str) -> str:
    """NULL or only spaces (DuckDB's trim strips spaces only). trim() copies long strings (~1 us per prompt), so
    it only runs on values that start with a space, the only ones that can trim down to ''."""
    return f"({expr} IS NULL OR {expr} = '' OR (starts_with({expr}, ' ') AND trim({expr}) = ''))"


def _trimmed(expr: str) -> str:
    """``trim(expr)``, but without copying the (usual) values that have no space to strip."""
    return f"CASE WHEN starts_with({expr}, ' ') OR ends_with({expr}, ' ') THEN trim({expr}) ELSE {expr} END"


def _csv_dialect(path: Path) -> tuple[str, list[str]]:
    """Delimiter and header names, read from the first line (DuckDB's sniffer guesses wrong on broken files)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        first = handle.readline()
    counts = {delim: first.count(delim) for delim in (",", ";", "\t", "|")}
    delim = max(counts, key=lambda key: counts[key])
    if counts[delim] == 0:
        delim = ","
    header = next(csv.reader([first], delimiter=delim))
    names = [name.strip() for name in header]
    if len(set(names)) != len(names) or any(not name for name in names):
        raise ForensicsInputError("The CSV header has empty or repeated column names.")
    return delim, names


def _parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_quote(str(path))})").fetchall()
    except duckdb.Error as exc:
        raise ForensicsInputError(f"The Parquet file cannot be read: {exc}") from None
    return {str(row[0]): str(row[1]).upper() for row in rows}


def _jsonl_columns(con: duckdb.DuckDBPyConnection, raw_sql: str) -> list[str]:
    """Keys seen in the first 1000 objects (JSONL rows may differ; the schema only needs the known keys)."""
    rows = con.execute(
        f"SELECT DISTINCT unnest(json_keys(j)) FROM (SELECT j FROM ({raw_sql}) "
        "WHERE j IS NOT NULL AND json_valid(j) AND json_type(j) = 'OBJECT' LIMIT 1000)"
    ).fetchall()
    return sorted(str(row[0]) for row in rows)


class LogSource:
    """A log file seen as SQL: ``sql(rejects=...)`` yields the normalised rows, one per record."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str]) -> None:
        self.con = con
        self.spill_dir: str | None = None
        self.path = Path(path)
        self.format = detect_format(self.path)
        self.csv_delim = ","
        self.types: dict[str, str] = {}
        if self.format == "csv":
            self.csv_delim, names = _csv_dialect(self.path)
            self.columns = names
            self.types = dict.fromkeys(names, "VARCHAR")
        elif self.format == "parquet":
            self.types = _parquet_columns(con, self.path)
            self.columns = list(self.types)
        else:
            self.columns = _jsonl_columns(con, self._jsonl_raw())
            self.types = dict.fromkeys(self.columns, "VARCHAR")
        self._check_required()

    @classmethod
    def open(cls, path: str | os.PathLike[str], memory_limit: str, *, duckdb_share: float = 0.6) -> LogSource:
        """A source on its own connection that spills to a private temp dir, removed by :meth:`close`.

        DuckDB gets ``duckdb_share`` of ``memory_limit``: its cap covers its buffers, not the allocator's slack
        nor the Python side (prompt samples, signatures), and the whole process is meant to stay under the limit.
        """
        spill = tempfile.mkdtemp(prefix="tribunal-logs-")
        con = connect(share_of(memory_limit, duckdb_share), temp_directory=spill)
        try:
            source = cls(con, path)
        except BaseException:
            con.close()
            shutil.rmtree(spill, ignore_errors=True)
            raise
        source.spill_dir = spill
        return source

    def close(self) -> None:
        self.con.close()
        if self.spill_dir:
            shutil.rmtree(self.spill_dir, ignore_errors=True)

    # -- schema ------------------------------------------------------------------------------------------------
    def _check_required(self) -> None:
        present = set(self.columns)
        missing = [name for name in REQUIRED if name not in present]
        if not present & set(PROMPT_FIELDS):
            missing.append("prompt or prompt_sha256")
        if missing and not (self.format == "jsonl" and not self.columns):
            raise ForensicsInputError(
                f"The {self.format.upper()} log lacks required column(s): {', '.join(missing)}. "
                "Required: timestamp, account_id, and prompt or prompt_sha256."
            )
        if self.format == "jsonl" and not self.columns:
            raise ForensicsInputError("No JSON object found in the first lines of the JSONL log.")

    @property
    def unknown_columns(self) -> list[str]:
        return [name for name in self.columns if name not in KNOWN]

    @property
    def line_kind(self) -> str:
        return "row" if self.format == "parquet" else "line"

    # -- SQL -----------------------------------------------------------------------------------------------------
    def _jsonl_raw(self) -> str:
        # One VARCHAR column per physical line: quote/escape off and a control-character delimiter, so DuckDB
        # does the line splitting in parallel and WITH ORDINALITY is the physical line number.
        return (
            f"SELECT ordinality AS line, j FROM read_csv({_quote(str(self.path))}, columns = {{'j': 'VARCHAR'}}, "
            "header = false, delim = '\\x01', quote = '', escape = '', auto_detect = false, strict_mode = false, "
            "null_padding = true) WITH ORDINALITY"
        )

    def _raw(self, rejects: bool) -> tuple[str, dict[str, str]]:
        """A SELECT with ``line``, ``structural`` (reason or NULL) and one expression per known field."""
        present = set(self.columns)
        path = _quote(str(self.path))
        if self.format == "jsonl":
            paths = ", ".join(_quote("$." + name) for name in KNOWN)
            raw = (
                "SELECT line, CASE WHEN NOT json_valid(j) THEN " + _quote(R_JSON) + " WHEN json_type(j) <> 'OBJECT' "
                "THEN " + _quote(R_OBJECT) + " END AS structural, "
                f"CASE WHEN json_valid(j) AND json_type(j) = 'OBJECT' THEN json_extract_string(j, [{paths}]) END AS v "
                f"FROM ({self._jsonl_raw()}) WHERE NOT {_blank_text('j')}"
            )
            fields = {name: f"v[{index + 1}]" for index, name in enumerate(KNOWN)}
            return raw, fields
        if self.format == "csv":
            columns = ", ".join(f"{_quote(name)}: 'VARCHAR'" for name in self.columns)
            errors = "store_rejects = true" if rejects else "ignore_errors = true"
            raw = (
                f"SELECT NULL::BIGINT AS line, NULL::VARCHAR AS structural, * FROM read_csv({path}, header = true, "
                f"delim = {_quote(self.csv_delim)}, quote = '\"', escape = '\"', auto_detect = false, "
                f"columns = {{{columns}}}, {errors})"
            )
        else:
            raw = (
                "SELECT file_row_number + 1 AS line, NULL::VARCHAR AS structural, * "
                f"FROM read_parquet({path}, file_row_number = true)"
            )
        fields = {name: _ident(name) if name in present else "NULL" for name in KNOWN}
        return raw, fields

    def _timestamp_expr(self, expr: str) -> str:
        kind = self.types.get("timestamp", "VARCHAR")
        if kind.startswith("TIMESTAMP") or kind == "DATE":
            return f"epoch(CAST({expr} AS TIMESTAMPTZ))"
        if kind != "VARCHAR":
            return f"TRY_CAST({expr} AS DOUBLE)"
        text = _trimmed(expr)
        as_double = f"TRY_CAST({text} AS DOUBLE)"
        as_time = f"epoch(TRY_CAST({text} AS TIMESTAMPTZ))"
        # A failed TRY_CAST to DOUBLE costs ~1 us (over 10 s on 10 M ISO stamps), so ISO-looking text ("2025-...")
        # tries the timestamp first. No text parses as both, so the value is the same as double-then-timestamp.
        return (
            f"CASE WHEN {text} LIKE '____-%' THEN coalesce({as_time}, {as_double}) "
            f"ELSE coalesce({as_double}, {as_time}) END"
        )

    def _bool_expr(self, expr: str) -> str:
        kind = self.types.get("logit_bias", "VARCHAR")
        if kind == "BOOLEAN":
            return expr
        if kind != "VARCHAR":
            return f"(TRY_CAST({expr} AS DOUBLE) <> 0)"
        low = f"lower(trim({expr}))"
        trues = ", ".join(_quote(word) for word in TRUE_WORDS)
        falses = ", ".join(_quote(word) for word in FALSE_WORDS)
        # list_contains, not IN: DuckDB plans an IN list of constants as a hash (mark) join against a small table,
        # two extra joins in every checking pass. Same words, same result (NULL stays NULL: no WHEN matches).
        # An OpenAI-style logit_bias map counts as used when it is a non-empty object.
        return (
            f"CASE WHEN list_contains([{trues}], {low}) OR {low} LIKE '{{%:%}}' THEN true "
            f"WHEN list_contains([{falses}], {low}) THEN false END"
        )

    def _text_expr(self, name: str, expr: str) -> str:
        return expr if self.types.get(name, "VARCHAR") == "VARCHAR" else f"CAST({expr} AS VARCHAR)"

    def _blank_expr(self, name: str, expr: str) -> str:
        """Missing or blank. A typed (non-text) value is blank only when NULL: its text form is never empty."""
        if expr == "NULL":
            return "true"
        if self.types.get(name, "VARCHAR") == "VARCHAR":
            return _blank_text(expr)
        return f"({expr} IS NULL)"

    def _number_expr(self, name: str, expr: str) -> str:
        """The field as DOUBLE (NULL when it is not a number), without a text round-trip for numeric columns."""
        if expr == "NULL":
            return "NULL::DOUBLE"
        kind = self.types.get(name, "VARCHAR")
        if kind in NUMERIC_TYPES or kind.startswith("DECIMAL"):
            return f"TRY_CAST({expr} AS DOUBLE)"
        return f"TRY_CAST({_trimmed(self._text_expr(name, expr))} AS DOUBLE)"

    def sql(self, *, rejects: bool = False) -> str:
        """Rows: line, account_id, ts (epoch s), prompt, prompt_key, ip, user_agent, tokens, flags, reason.

        Three levels: the raw record; each field once as text / number / blank flag (typed Parquet columns are
        not round-tripped through text, which used to cost most of the scan); then the reason and the values.
        """
        raw, f = self._raw(rejects)

        def text(name: str) -> str:
            return "NULL::VARCHAR" if f[name] == "NULL" else self._text_expr(name, f[name])

        columns = [
            "line",
            "structural",
            f"{text('account_id')} AS account_id_t",
            f"{self._blank_expr('timestamp', f['timestamp'])} AS timestamp_blank",
            f"{self._timestamp_expr(f['timestamp']) if f['timestamp'] != 'NULL' else 'NULL::DOUBLE'} AS ts_",
            f"{text('prompt')} AS prompt_t",
            f"{text('prompt_sha256')} AS prompt_sha256_t",
            f"{text('ip')} AS ip_t",
            f"{text('user_agent')} AS user_agent_t",
            f"{self._blank_expr('logit_bias', f['logit_bias'])} AS logit_bias_blank",
            f"{self._bool_expr(f['logit_bias']) if f['logit_bias'] != 'NULL' else 'NULL::BOOLEAN'} AS lb_",
        ]
        for name in INTEGER_FIELDS:
            columns.append(f"{self._blank_expr(name, f[name])} AS {name}_blank")
            columns.append(f"{self._number_expr(name, f[name])} AS {name}_n")
        inner = f"SELECT {', '.join(columns)} FROM ({raw})"

        def blank(name: str) -> str:
            return _blank_text(f"{name}_t")

        sha = _trimmed("prompt_sha256_t")
        checks = [
            ("structural IS NOT NULL", "structural"),
            (blank("account_id"), _quote(R_ACCOUNT)),
            ("timestamp_blank", _quote(R_TS_MISSING)),
            ("ts_ IS NULL OR isnan(ts_)", _quote(R_TS_FORMAT)),
            (f"ts_ NOT BETWEEN {EPOCH_MIN} AND {EPOCH_MAX}", _quote(R_TS_RANGE)),
            (f"{blank('prompt')} AND {blank('prompt_sha256')}", _quote(R_PROMPT)),
            (
                f"NOT {blank('prompt_sha256')} AND NOT regexp_full_match({sha}, '[0-9a-fA-F]{{64}}')",
                _quote(R_SHA),
            ),
        ]
        for name in INTEGER_FIELDS:
            number = f"{name}_n"
            checks.append(
                (
                    f"NOT {name}_blank AND coalesce(NOT isfinite({number}) OR {number} < 0 "
                    f"OR {number} <> floor({number}), true)",
                    _quote(r_int(name)),
                )
            )
        checks.append(("NOT logit_bias_blank AND lb_ IS NULL", _quote(R_LOGIT)))
        reason = "CASE " + " ".join(f"WHEN {cond} THEN {value}" for cond, value in checks) + " END"
        # The prompt's identity: its declared SHA-256 when given (the prompt text may be withheld), else its text.
        key = f"CASE WHEN NOT {blank('prompt_sha256')} THEN hash(lower({sha})) ELSE hash(prompt_t) END"

        def tokens(name: str) -> str:
            return f"coalesce(TRY_CAST({name}_n AS BIGINT), 0)"

        return (
            f"SELECT line, {_trimmed('account_id_t')} AS account_id, ts_ AS ts, prompt_t AS prompt, "
            f"{key} AS prompt_key, "
            f"nullif({_trimmed('ip_t')}, '') AS ip, nullif({_trimmed('user_agent_t')}, '') AS user_agent, "
            f"{tokens('prompt_tokens')} AS prompt_tokens, {tokens('completion_tokens')} AS completion_tokens, "
            f"{tokens('top_logprobs')} > 0 AS uses_logprobs, coalesce(lb_, false) AS uses_logit_bias, "
            f"{reason} AS reason FROM ({inner})"
        )

    def rejected_rows(self) -> int:
        """CSV records DuckDB could not parse in the last scan made with ``sql(rejects=True)``."""
        if self.format != "csv":
            return 0
        try:
            row = self.con.execute(
                "SELECT count(DISTINCT line_byte_position) FROM reject_errors "
                "WHERE scan_id = (SELECT max(scan_id) FROM reject_errors)"
            ).fetchone()
        except duckdb.Error:
            return 0
        return int(row[0]) if row else 0


# -- Python mirror of the row rules, used only to find CSV line numbers ------------------------------------------


def _python_timestamp(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1) if "T" not in value else value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _is_int(value: str) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False
    return math.isfinite(number) and number >= 0 and number == math.floor(number)


def python_reason(record: dict[str, str]) -> str | None:
    """The same rules as the SQL ``reason`` column, for one CSV record (keep the two in step)."""

    def blank(name: str) -> bool:
        return not (record.get(name) or "").strip()

    if blank("account_id"):
        return R_ACCOUNT
    if blank("timestamp"):
        return R_TS_MISSING
    ts = _python_timestamp(record["timestamp"].strip())
    if ts is None:
        return R_TS_FORMAT
    if not EPOCH_MIN <= ts <= EPOCH_MAX:
        return R_TS_RANGE
    if blank("prompt") and blank("prompt_sha256"):
        return R_PROMPT
    sha = (record.get("prompt_sha256") or "").strip()
    if sha and not (len(sha) == 64 and all(ch in "0123456789abcdefABCDEF" for ch in sha)):
        return R_SHA
    for name in INTEGER_FIELDS:
        if not blank(name) and not _is_int(record[name].strip()):
            return r_int(name)
    value = (record.get("logit_bias") or "").strip().lower()
    if value and value not in TRUE_WORDS and value not in FALSE_WORDS and not (value.startswith("{") and ":" in value):
        return R_LOGIT
    return None


def csv_bad_lines(source: LogSource, wanted: int) -> list[dict[str, Any]]:
    """First ``wanted`` bad CSV records with the file line each starts on; stops as soon as it has them."""
    examples: list[dict[str, Any]] = []
    if wanted <= 0:
        return examples
    names = source.columns
    with open(source.path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=source.csv_delim, quotechar='"', doublequote=True, strict=False)
        try:
            next(reader)
        except (StopIteration, csv.Error):
            return examples
        start = reader.line_num + 1
        while len(examples) < wanted:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error:
                examples.append({"line": start, "reason": R_CSV})
                start = reader.line_num + 1
                continue
            if fields:
                if len(fields) != len(names):
                    examples.append(
                        {"line": start, "reason": f"{R_FIELDS} (expected {len(names)}, found {len(fields)})"}
                    )
                else:
                    reason = python_reason(dict(zip(names, fields, strict=True)))
                    if reason:
                        examples.append({"line": start, "reason": reason})
            start = reader.line_num + 1
    return examples


def bad_row_examples(source: LogSource, count: int, max_examples: int) -> list[dict[str, Any]]:
    """Line numbers and reasons of the first bad rows (bounded work: a LIMIT query, or a CSV pass that stops early)."""
    wanted = min(count, max_examples)
    if wanted <= 0:
        return []
    if source.format == "csv":
        return csv_bad_lines(source, wanted)
    rows = source.con.execute(
        f"SELECT line, reason FROM ({source.sql()}) WHERE reason IS NOT NULL ORDER BY line LIMIT {int(wanted)}"
    ).fetchall()
    return [{"line": int(line), "reason": str(reason)} for line, reason in rows]


def validate_log(path: str | os.PathLike[str], *, max_examples: int = 50, memory_limit: str = "1GB") -> dict[str, Any]:
    """Check an uploaded log against the DESIGN §6 schema in one streaming DuckDB scan.

    Returns ``{"format", "columns", "unknown_columns", "rows": {"total", "valid", "bad"},
    "bad_rows": {"count", "by_reason", "examples": [{"line", "reason"}], "line_kind"}, "valid"}``.
    Raises :class:`ForensicsInputError` when the file is not a log at all (wrong format, required column missing).
    """
    con = connect(memory_limit)
    try:
        source = LogSource(con, path)
        try:
            rows = con.execute(f"SELECT reason, count(*) FROM ({source.sql(rejects=True)}) GROUP BY reason").fetchall()
        except duckdb.Error as exc:
            raise ForensicsInputError(f"The {source.format.upper()} log cannot be read: {exc}") from None
        return summarise_rows(source, rows, max_examples)
    finally:
        con.close()


def summarise_rows(source: LogSource, counts: list[tuple[Any, Any]], max_examples: int) -> dict[str, Any]:
    """Build the validation dict from ``(reason, count)`` pairs of a scan (shared with the extraction scan)."""
    by_reason = {str(reason): int(n) for reason, n in counts if reason is not None}
    valid = sum(int(n) for reason, n in counts if reason is None)
    rejected = source.rejected_rows()
    if rejected:
        by_reason[R_FIELDS + " or unreadable CSV record"] = rejected
    bad = sum(by_reason.values())
    return {
        "format": source.format,
        "columns": list(source.columns),
        "unknown_columns": source.unknown_columns,
        "rows": {"total": valid + bad, "valid": valid, "bad": bad},
        "bad_rows": {
            "count": bad,
            "by_reason": dict(sorted(by_reason.items(), key=lambda item: -item[1])),
            "examples": bad_row_examples(source, bad, max_examples),
            "line_kind": source.line_kind,
        },
        "valid": valid > 0,
    }
