"""Map a function over jobs in worker processes, in order, with a progress bar (the results never depend on
the worker count: every job carries its own seeds)."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable
from typing import Any

from tqdm import tqdm


def ordered_map(
    fn: Callable[[Any], Any], jobs: Iterable[Any], workers: int = 1, progress: bool = False, desc: str = ''
) -> list[Any]:
    """``[fn(job) for job in jobs]``, in ``workers`` forked processes when > 1 (``fn`` must be picklable)."""
    jobs = list(jobs)
    results = []
    with tqdm(total=len(jobs), unit='study', desc=desc, disable=not progress) as bar:
        if workers > 1:
            ctx = mp.get_context('fork') if 'fork' in mp.get_all_start_methods() else mp.get_context()
            with ctx.Pool(workers) as pool:
                for res in pool.imap(fn, jobs, chunksize=1):
                    results.append(res)
                    bar.update(1)
        else:
            for job in jobs:
                results.append(fn(job))
                bar.update(1)
    return results
