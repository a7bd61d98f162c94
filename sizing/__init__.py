"""GPU sizing and cost model for the assistant's LLM serving (``python app.py size``).

Pure arithmetic over the sourced numbers in :mod:`sizing.tables`; no I/O besides the CLI's printing.
"""

from sizing.model import SizingError, SizingInputs, SizingResult, size

__all__ = ["SizingError", "SizingInputs", "SizingResult", "size"]
