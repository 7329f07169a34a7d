"""Clinical-trial evidence assistant: cited, extractive answers from a trial corpus."""

from __future__ import annotations

__all__ = ["Assistant", "Settings"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Heavy imports (torch, chromadb, llama-index) happen only when the assistant is used.
    if name == "Assistant":
        from .pipeline import Assistant

        return Assistant
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(name)
