"""Answer questions in worker processes, so a server uses every core (answering is mostly Python code, which
one process runs on one core at a time). A ``PooledAssistant`` looks like an ``Assistant``: ``ask`` and ``screen``
run in the pool, everything else (document texts, the catalog for the UI) is read from the local one."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

_WORKER = None


def _init(settings_json: str, index_dir: str) -> None:
    global _WORKER
    from .pipeline import Assistant
    from .settings import Settings

    _WORKER = Assistant.open(index_dir, Settings.model_validate_json(settings_json))


def _call(method: str, args: tuple, kwargs: dict):
    result = getattr(_WORKER, method)(*args, **kwargs)
    if hasattr(result, "trace"):
        result.trace = {}  # evaluation detail: not worth sending back
    return result


class PooledAssistant:
    def __init__(self, assistant, settings, index_dir: Path, workers: int) -> None:
        self._local = assistant
        ctx = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init, initargs=(settings.model_dump_json(), str(index_dir)))
        for f in [self._pool.submit(_call, "ask", ("warm up",), {}) for _ in range(workers)]:
            f.result()

    def ask(self, *args, **kwargs):
        return self._pool.submit(_call, "ask", args, kwargs).result()

    def screen(self, *args, **kwargs):
        return self._pool.submit(_call, "screen", args, kwargs).result()

    def __getattr__(self, name):
        return getattr(self._local, name)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
