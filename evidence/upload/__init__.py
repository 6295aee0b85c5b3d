"""Command-line uploader for evidence: `python -m evidence.upload --server URL --token T --case ID ... FILE...`.

Runs on a party's machine: standard library and httpx only, no Django. It speaks the tus 1.0 protocol of
/api/v1/uploads/ (see docs/uploads.md), declares each file's SHA-256, sends checksummed chunks, retries with
backoff and resumes an interrupted upload from the server's offset on the next run.
"""
