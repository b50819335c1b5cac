"""The package version (read by the records; no imports)."""

__version__ = "0.1.0"
