"""Data ingest for BEGAN training: turn a folder, zip, array file or IDX data set into one
uint8 array of square images, cached on disk.

Public API: :func:`load_images`, :func:`describe_source` and :class:`DataError`. Modules:
``readers`` (source kinds), ``preprocess`` (per-image pipeline), ``decode`` (files, workers,
broken-file handling), ``cache`` (decoded-array cache) and ``embedded/`` (the default data set).
"""

from began.data.errors import DataError
from began.data.ingest import load_images
from began.data.readers import describe_source

__all__ = ["DataError", "describe_source", "load_images"]
