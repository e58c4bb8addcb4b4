"""actmine agent."""
