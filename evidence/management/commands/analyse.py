"""python manage.py analyse {weights A B | logs LOG | watermark OUTPUTS --key K | similarity A B}

Runs the same forensics code as the Celery jobs on files given on the command line — no server, no database —
and prints one JSON document (shape in docs/forensics.md). For experts checking or reproducing a report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forensics.common import ForensicsInputError


def _progress_to_stderr(enabled: bool) -> Any:
    def report(fraction: float, message: str = "") -> None:
        if enabled:
            sys.stderr.write(f"\r{fraction * 100:5.1f}% {message[:70]:<70}")
            sys.stderr.flush()

    return report


class Command(BaseCommand):
    help = "Run a forensic analysis on local files and print its JSON result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--progress", action="store_true", help="Show progress on stderr.")
        parser.add_argument("--output", "-o", help="Write the JSON here instead of stdout.")
        sub = parser.add_subparsers(dest="analysis", required=True)
        weights = sub.add_parser("weights", help="weights.lineage: compare two weight files")
        weights.add_argument("a")
        weights.add_argument("b")
        logs = sub.add_parser("logs", help="logs.extraction: detect model extraction in an API query log")
        logs.add_argument("log")
        logs.add_argument("--benign-reference", help="A log of known-benign traffic to calibrate PRADA on.")
        logs.add_argument("--volume-threshold", type=int, default=None, help="Charter volume threshold (requests).")
        watermark = sub.add_parser("watermark", help="text.watermark: test outputs for the claimant's watermark")
        watermark.add_argument("outputs")
        watermark.add_argument("--key", required=True, help="Watermark key, decimal or 0x-hex.")
        watermark.add_argument("--gamma", type=float, default=0.25)
        watermark.add_argument("--z-threshold", type=float, default=4.0)
        watermark.add_argument("--tokenizer", help="tokenizer.json for text outputs.")
        similarity = sub.add_parser("similarity", help="text.similarity: compare two output sets keyed by prompt")
        similarity.add_argument("a")
        similarity.add_argument("b")
        similarity.add_argument("--no-embeddings", action="store_true", help="Skip the MiniLM embedding cosine.")
        similarity.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        progress = _progress_to_stderr(options["progress"])
        for key in ("a", "b", "log", "outputs", "tokenizer", "benign_reference"):
            value = options.get(key)
            if value and not Path(value).exists():
                raise CommandError(f"No such file: {value}")
        try:
            result = self._run(options, progress)
        except ForensicsInputError as error:
            raise CommandError(str(error)) from None
        if options["progress"]:
            sys.stderr.write("\n")
        text = json.dumps(result, indent=2, sort_keys=False, allow_nan=False)
        if options.get("output"):
            Path(options["output"]).write_text(text + "\n")
        else:
            self.stdout.write(text)

    def _run(self, options: dict[str, Any], progress: Any) -> dict[str, Any]:
        analysis = options["analysis"]
        if analysis == "weights":
            from forensics.weights.lineage import compare_weights

            return compare_weights(options["a"], options["b"], progress=progress)
        if analysis == "logs":
            from django.conf import settings

            from forensics.logs.extraction import detect_extraction

            threshold = options["volume_threshold"] or settings.TRIBUNAL_CHARTER_VOLUME_THRESHOLD
            return detect_extraction(
                options["log"],
                benign_reference=options["benign_reference"],
                volume_threshold=threshold,
                progress=progress,
            )
        if analysis == "watermark":
            from forensics.text.watermark import detect_watermark

            return detect_watermark(
                options["outputs"],
                key=options["key"],
                gamma=options["gamma"],
                z_threshold=options["z_threshold"],
                tokenizer_path=options["tokenizer"],
                progress=progress,
            )
        from forensics.text.similarity import compare_outputs

        return compare_outputs(
            options["a"],
            options["b"],
            use_embeddings=not options["no_embeddings"],
            seed=options["seed"],
            progress=progress,
        )
