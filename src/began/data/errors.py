"""The single exception type that data ingest raises for user-facing problems."""


class DataError(ValueError):
    """A data source cannot be used; the message names the path and the problem.

    It subclasses ``ValueError`` so callers that already catch bad-argument errors keep working.
    """
