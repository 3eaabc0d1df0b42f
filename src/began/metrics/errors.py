"""The exception that the metrics raise for problems a user can fix."""


class MetricsError(RuntimeError):
    """Weights are missing or wrong, a metric cannot be computed, or an input is unusable.

    The message says what is wrong and, where it can, how to fix it.
    """
