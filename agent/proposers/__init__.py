"""Proposers: where candidate source text comes from."""
