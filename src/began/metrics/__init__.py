"""Sample-quality metrics for began: FID, KID, precision/recall and the Inception Score.

All of them read the 2048-d pool3 features of the standard FID Inception-v3 (the TF
"2015-12-05" network, ported to plain PyTorch in ``inception``), whose weights are never
downloaded: see ``weights`` for where they are looked for. Modules, one concept each:
``inception`` (network), ``weights`` (finding/checking/loading), ``preprocess`` (uint8 ->
network input), ``features`` (batched extraction), ``fid``, ``kid``, ``precision_recall``,
``inception_score`` (the maths), ``cache`` (reference statistics), ``evaluate`` (entry points),
``report`` (table) and ``cli`` (``began evaluate``). The maths functions are imported from
their modules (``began.metrics.kid.kid``, ...), so no name here hides a module.
"""

from began.metrics.errors import MetricsError
from began.metrics.evaluate import (
    DEFAULT_METRICS,
    METRICS,
    evaluate_checkpoint,
    evaluate_images,
    reference_stats,
)
from began.metrics.features import extract_features
from began.metrics.fid import feature_stats, fid_from_features, frechet_distance
from began.metrics.inception import FIDInceptionV3
from began.metrics.report import format_table
from began.metrics.weights import WeightsInfo, find_weights, load_inception

__all__ = [
    "DEFAULT_METRICS",
    "FIDInceptionV3",
    "METRICS",
    "MetricsError",
    "WeightsInfo",
    "evaluate_checkpoint",
    "evaluate_images",
    "extract_features",
    "feature_stats",
    "fid_from_features",
    "find_weights",
    "format_table",
    "frechet_distance",
    "load_inception",
    "reference_stats",
]
