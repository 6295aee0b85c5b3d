"""weights.lineage: evidence of derivation between two model weight files (see `lineage.compare_weights`)."""

from forensics.weights.charting import charts
from forensics.weights.lineage import ANALYSIS, compare_weights

__all__ = ["ANALYSIS", "charts", "compare_weights"]
