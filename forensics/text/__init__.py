"""Text forensics: watermark detection and output similarity over model-output files (no Django imports)."""
