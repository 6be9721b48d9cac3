"""Where s3xrep keeps its own files: kept for the modules that import it; ``locations`` owns it all.

Journals and remembered job ids describe a user's accounts; nobody else on the
machine needs to read them. Secrets are never written here at all.
"""

from __future__ import annotations

from .locations import APP_NAME, UnsafeLocation, append_private, data_dir, open_append, private_dir, write_private

__all__ = ["APP_NAME", "UnsafeLocation", "append_private", "data_dir", "open_append", "private_dir", "write_private"]
