"""actmine store."""
