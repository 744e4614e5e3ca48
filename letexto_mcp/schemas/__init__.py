"""Pydantic models of every tool's input and output; `generate.py` writes them as JSON Schema files."""
