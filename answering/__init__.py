"""Prompts, the answer pipeline, citations and the wording of answers."""
