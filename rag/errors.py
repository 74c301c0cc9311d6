"""Errors a user can fix: the CLI prints their message on one line and exits non-zero."""


class RagError(Exception):
    """An error whose message says what to do about it."""


class ConfigError(RagError):
    """A setting is unknown or has a bad value."""


class InputError(RagError):
    """A path, question or document the user gave cannot be used."""


class IndexStateError(RagError):
    """The index is missing, damaged or was built with other settings."""


class ModelError(RagError):
    """A model file is missing, corrupt or cannot be loaded."""


class StoreError(RagError):
    """The index's database cannot be reached, refuses the credentials or lacks pgvector."""
