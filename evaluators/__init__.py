"""actmine evaluators."""
