"""Prompt templates and seed programs (plain files; no logic lives here)."""
