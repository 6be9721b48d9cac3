"""s3xrep-tui: S3 cross-account replication, set up and watched from the terminal."""

__version__ = "0.1.0"
