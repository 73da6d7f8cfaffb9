"""pytest plugin registered by qbo_sync (``pytest11`` entry point)."""
