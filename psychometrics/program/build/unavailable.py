"""The signal of a build stage (or part of one) that cannot be produced from its inputs."""


class NotAvailable(Exception):
    """A stage could not be produced; the message says why (the report shows it)."""
