"""Tribunal forensics: pure-Python/numpy analyses of AI-IP evidence.

This package has no Django imports. Every analysis is a function over files on disk that streams its
inputs (memory bounded independent of input size) and returns a JSON-serialisable result built with
:func:`forensics.common.result_envelope`.
"""

__version__ = "0.1.0"
