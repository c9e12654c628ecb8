"""Per-person results of large sparse data, computed by partitions and written as Parquet parts.

:func:`score_sparse` gives every person an EAP ability estimate; :func:`ctt_sparse` the classical
item and test statistics (and every person's total score). Persons are split into partitions; each
partition is a task (in this process or on a ``dask.distributed`` cluster, like the partitioned
calibration) that computes its persons' results and writes them to one Parquet file,
``part-00000.parquet``, ``part-00001.parquet``, ... in the output folder. Whole-data statistics
(CTT) are sums over persons, reduced from the small per-partition sums.

The folder is written as a whole: the parts go to a new hidden folder next to it, which replaces
the output folder only when every part is written, so an interrupted run leaves the previous
output as it was. On a cluster the folder must be on a file system every worker can write to.

References
----------
Bock, R. D., & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in a microcomputer
    environment. *Applied Psychological Measurement*, 6(4), 431-444.
Lord, F. M., & Novick, M. R. (1968). *Statistical theories of mental test scores*.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from psychometrics.fileio import atomic_write_bytes, make_temporary_dir
from psychometrics.irt.models import ItemParameters, log_category_probabilities
from psychometrics.irt.scoring import (
    FLAG_ALL_CORRECT,
    FLAG_ALL_WRONG,
    FLAG_NO_RESPONSES,
    normal_quadrature,
)
from psychometrics.long_responses import SparseResponses

PART_NAME = "part-{:05d}.parquet"


@dataclass(frozen=True)
class PartitionedOutput:
    """Parquet parts written to ``folder`` (one per partition, in person order)."""

    folder: Path
    files: tuple[str, ...]
    n_rows: int


# ----------------------------------------------------------------------------- running parts


def _run(
    tasks: list[tuple],
    func: Callable,
    *,
    scheduler,
    progress: Callable[[str], None] | None,
    label: str,
    **kwargs,
) -> list:
    """``func(*task, **kwargs)`` for every task, in order; on a cluster when ``scheduler``."""
    from psychometrics.irt.partitioned import (
        ClusterError,
        _client,
        _cluster_failure,
        _quiet_large_graph,
    )

    out: list = []
    with _client(scheduler) as client:
        if client is None:
            for task in tasks:
                out.append(func(*task, **kwargs))
                if progress is not None:
                    progress(f"{label}: {len(out)} of {len(tasks)} partitions done")
            return out
        from distributed import as_completed

        try:
            with _quiet_large_graph():
                futures = [client.submit(func, *t, pure=False, **kwargs) for t in tasks]
            for done, _ in enumerate(as_completed(futures), start=1):
                if progress is not None:
                    progress(f"{label}: {done} of {len(tasks)} partitions done")
            return client.gather(futures)
        except Exception as exc:
            if _cluster_failure(exc):
                raise ClusterError(f"the Dask cluster failed: {exc}") from exc
            raise


def _slices(data: SparseResponses, partition_size: int):
    """``(indptr, items, scores, person_ids)`` of consecutive persons, ``partition_size`` each."""
    for lo in range(0, data.n_persons, partition_size):
        hi = min(lo + partition_size, data.n_persons)
        a, b = data.indptr[lo], data.indptr[hi]
        yield (
            (data.indptr[lo : hi + 1] - a).astype(np.int64),
            data.items[a:b],
            data.scores[a:b],
            np.asarray(data.person_ids[lo:hi]),
        )


class _Folder:
    """A new hidden folder next to ``target`` that replaces it on :meth:`commit`."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        if self.target.exists():
            if not self.target.is_dir():
                raise ValueError(f"out_dir: {self.target} exists and is not a folder")
            foreign = [
                p.name
                for p in self.target.iterdir()
                if not (p.name.startswith("part-") and p.name.endswith(".parquet"))
            ]
            if foreign:
                raise ValueError(
                    f"out_dir: {self.target} holds other files ({', '.join(sorted(foreign)[:3])}); "
                    "give a new folder or one with Parquet parts only"
                )
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.path = make_temporary_dir(self.target.parent, f".{self.target.name}.")

    def commit(self) -> None:
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}-{time.time_ns()}")
            os.replace(self.target, old)
        os.replace(self.path, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _write_part(folder: Path, index: int, columns: dict[str, np.ndarray]) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(columns)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    name = PART_NAME.format(index)
    atomic_write_bytes(Path(folder) / name, sink.getvalue().to_pybytes())
    return name


def _written(folder: _Folder, names: list[str], n_rows: int) -> PartitionedOutput:
    folder.commit()
    return PartitionedOutput(folder=folder.target, files=tuple(names), n_rows=int(n_rows))


def _check_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ValueError(
            "writing Parquet parts needs pyarrow: pip install 'credkit[scale]'"
        ) from None


# ----------------------------------------------------------------------------- EAP scoring


def score_sparse(
    data: SparseResponses,
    params: ItemParameters,
    out_dir: str | os.PathLike[str],
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    n_points: int = 61,
    theta_range: tuple[float, float] | None = None,
    partition_size: int = 250_000,
    scheduler=None,
    progress: Callable[[str], None] | None = None,
) -> PartitionedOutput:
    """EAP ability estimates of every person, written as Parquet parts.

    The numbers are those of :func:`psychometrics.irt.scoring.score_persons` with
    ``method="eap"`` (same quadrature, prior and flags), computed per person from the sparse
    rows: columns ``person_id, theta, se, sum_score, n_presented, flags``.

    Parameters
    ----------
    data
        Sparse responses (:func:`psychometrics.long_responses.read_long`).
    params
        Item parameters; every item of ``data`` must have them.
    out_dir
        The folder of the parts (replaced as a whole when every part is written).
    prior_mean, prior_sd, n_points, theta_range
        As in :func:`~psychometrics.irt.scoring.score_persons`.
    partition_size
        Persons per part.
    scheduler
        None, ``"local"``, a scheduler address or a ``distributed.Client``, as in
        :func:`psychometrics.irt.partitioned.calibrate_sparse`.
    progress
        Called with a line per partition done.

    Returns
    -------
    PartitionedOutput
    """
    if not isinstance(data, SparseResponses):
        raise TypeError(f"data must be SparseResponses, got {type(data).__name__}")
    if not isinstance(params, ItemParameters):
        raise TypeError(f"params must be ItemParameters, got {type(params).__name__}")
    if not prior_sd > 0:
        raise ValueError(f"prior_sd must be positive, got {prior_sd}")
    _check_partition_size(partition_size)
    _check_pyarrow()
    missing = [i for i in data.item_ids if i not in params]
    if missing:
        raise ValueError(
            f"responses: no parameters for item(s) {', '.join(missing[:5])}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        )
    column = np.array([params.index(i) for i in data.item_ids], dtype=np.int64)
    n_cat = np.asarray(params.n_categories, dtype=np.int64)
    if data.n_cells:
        top = np.zeros(data.n_items, dtype=np.int64)
        np.maximum.at(top, data.items, data.scores)
        bad = np.flatnonzero(top >= n_cat[column])
        if bad.size:
            j = int(bad[0])
            raise ValueError(
                f"responses: item {data.item_ids[j]} has score {int(top[j])}, outside its "
                f"{int(n_cat[column[j]])} categories"
            )
    nodes, weights = normal_quadrature(
        n_points=n_points, theta_range=theta_range, mean=prior_mean, sd=prior_sd
    )
    logp = log_category_probabilities(params, nodes)  # (Q, J, K)
    k_max = logp.shape[2]
    table = np.ascontiguousarray(logp.transpose(1, 2, 0).reshape(-1, nodes.size))
    folder = _Folder(Path(out_dir))
    try:
        tasks = [(i, *s) for i, s in enumerate(_slices(data, int(partition_size)))]
        names = _run(
            tasks,
            _eap_part,
            scheduler=scheduler,
            progress=progress,
            label="EAP scores",
            folder=str(folder.path),
            column=column,
            n_cat=n_cat,
            k_max=k_max,
            table=table,
            nodes=nodes,
            log_weights=np.log(weights),
        )
    except BaseException:
        folder.discard()
        raise
    return _written(folder, names, data.n_persons)


def _eap_part(
    index, indptr, items, scores, person_ids, *, folder, column, n_cat, k_max, table, nodes,
    log_weights,
) -> str:  # fmt: skip
    from scipy import sparse

    n = indptr.size - 1
    j = column[items]
    x = sparse.csr_matrix(
        (np.ones(items.size), j * k_max + scores, indptr), shape=(n, table.shape[0])
    )
    log_post = x @ table + log_weights[None, :]
    log_post -= np.logaddexp.reduce(log_post, axis=1, keepdims=True)
    post = np.exp(log_post)
    mean = post @ nodes
    var = post @ nodes**2 - mean**2
    lengths = np.diff(indptr)
    row = np.repeat(np.arange(n), lengths)
    n_max = np.bincount(row, weights=scores == n_cat[j] - 1, minlength=n)
    n_min = np.bincount(row, weights=scores == 0, minlength=n)
    seen = lengths > 0
    code = (~seen) * 1 + (seen & (n_max == lengths)) * 2 + (seen & (n_min == lengths)) * 4
    names = (FLAG_NO_RESPONSES, FLAG_ALL_CORRECT, FLAG_ALL_WRONG)
    text = np.array(
        [";".join(nm for bit, nm in enumerate(names) if c >> bit & 1) for c in range(8)]
    )
    return _write_part(
        folder,
        index,
        {
            "person_id": person_ids.astype(str),
            "theta": mean,
            "se": np.sqrt(np.maximum(var, 0.0)),
            "sum_score": np.bincount(row, weights=scores, minlength=n).astype(np.int64),
            "n_presented": lengths.astype(np.int64),
            "flags": text[code],
        },
    )


def _check_partition_size(value) -> None:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise ValueError(f"partition_size must be a positive integer, got {value!r}")


# ----------------------------------------------------------------------------- CTT


@dataclass(frozen=True)
class SparseItemStats:
    """Classical statistics of one item over the persons presented it."""

    item_id: str
    n: int
    mean: float
    max_score: int
    p: float
    rpbis: float
    biserial: float
    alpha_if_deleted: float


@dataclass(frozen=True)
class SparseItemAnalysis:
    """Classical item and test statistics of sparse data (available-case rule, as
    :func:`psychometrics.ctt.item_analysis`), and the Parquet parts of the persons' totals
    (``person_id, total, n_presented``)."""

    items: tuple[SparseItemStats, ...]
    n_persons: int
    mean: float
    sd: float
    min: float
    max: float
    max_possible: int
    alpha: float
    sem: float
    score_distribution: tuple[int, ...]
    output: PartitionedOutput


def ctt_sparse(
    data: SparseResponses,
    out_dir: str | os.PathLike[str],
    *,
    max_scores: Mapping[str, int] | None = None,
    partition_size: int = 250_000,
    scheduler=None,
    progress: Callable[[str], None] | None = None,
) -> SparseItemAnalysis:
    """Classical item and test analysis by partitions (two passes of sums over persons).

    Pass one sums, per partition, the item scores, the persons' totals against each item and
    the pairwise item cross-products (``n``, ``sum x``, ``sum xy`` over persons presented both
    items); pass two the centred item-rest cross-products with the global means. The figures are
    those of :func:`psychometrics.ctt.item_analysis` (difficulty, corrected point-biserial,
    biserial, alpha if deleted; total-score mean, SD, range, Cronbach's alpha with pairwise
    deletion, SEM, score distribution) up to floating-point summation order. Omit rates and
    the distractor analysis need the raw answers, which sparse data do not keep.

    Parameters
    ----------
    data
        Sparse responses. Persons with no row are left out, as in ``item_analysis``.
    out_dir
        Folder of the persons' totals (``part-*.parquet``).
    max_scores
        Item id -> maximum possible score (default: the highest observed score, at least 1).
    partition_size, scheduler, progress
        As in :func:`score_sparse`.

    Returns
    -------
    SparseItemAnalysis
    """
    from psychometrics import ctt

    if not isinstance(data, SparseResponses):
        raise TypeError(f"data must be SparseResponses, got {type(data).__name__}")
    _check_partition_size(partition_size)
    _check_pyarrow()
    n_items = data.n_items
    folder = _Folder(Path(out_dir))
    try:
        tasks = [(i, *s) for i, s in enumerate(_slices(data, int(partition_size)))]
        first = _run(
            tasks, _ctt_sums, scheduler=scheduler, progress=progress, label="CTT sums",
            n_items=n_items,
        )  # fmt: skip
        n_item = sum(f["n_item"] for f in first)
        sum_x = sum(f["sum_x"] for f in first)
        sum_total = sum(f["sum_total"] for f in first)
        n_pair = sum(f["n_pair"] for f in first)
        sx = sum(f["sx"] for f in first)
        sxy_pair = sum(f["sxy"] for f in first)
        highest = np.max([f["highest"] for f in first], axis=0)
        dist = np.zeros(max(f["dist"].size for f in first), dtype=np.int64)
        for f in first:
            dist[: f["dist"].size] += f["dist"]
        n_persons = int(sum(f["n_persons"] for f in first))
        t_sum = sum(f["t_sum"] for f in first)
        t_min = min((f["t_min"] for f in first if f["n_persons"]), default=math.nan)
        t_max = max((f["t_max"] for f in first if f["n_persons"]), default=math.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = sum_x / n_item
            mean_rest = (sum_total - sum_x) / n_item
        second = _run(
            tasks, _ctt_centred, scheduler=scheduler, progress=progress, label="CTT item-rest",
            folder=str(folder.path), n_items=n_items, mean=mean, mean_rest=mean_rest,
            t_mean=t_sum / max(n_persons, 1),
        )  # fmt: skip
    except BaseException:
        folder.discard()
        raise
    sxy = sum(s["sxy"] for s in second)
    sxx = sum(s["sxx"] for s in second)
    syy = sum(s["syy"] for s in second)
    t_dev2 = sum(s["t_dev2"] for s in second)
    max_scores = dict(max_scores or {})
    maxes = np.array(
        [
            int(max_scores[i]) if i in max_scores else max(int(max(highest[j], 0)), 1)
            for j, i in enumerate(data.item_ids)
        ]
    )
    p = mean / maxes
    cov_all = ctt._cov_from_sums(n_pair, sx, sxy_pair)
    usable = np.isfinite(np.diag(cov_all))
    cov = cov_all[np.ix_(usable, usable)]
    alpha = ctt._alpha_from_cov(cov)
    aid = np.full(n_items, np.nan)
    aid[usable] = ctt._alpha_if_deleted_cov(cov)
    with np.errstate(invalid="ignore", divide="ignore"):
        rpbis = sxy / np.sqrt(sxx * syy)
    rpbis[(sxx <= 1e-12) | (syy <= 1e-12) | (n_item < 2)] = np.nan
    biserial = np.where(maxes == 1, ctt._biserial(rpbis, p), np.nan)
    sd = math.sqrt(t_dev2 / (n_persons - 1)) if n_persons > 1 else math.nan
    sem = sd * math.sqrt(1.0 - alpha) if np.isfinite(alpha) and 0.0 <= alpha <= 1.0 else math.nan
    max_possible = int(maxes.sum())
    if dist.size < max_possible + 1:
        dist = np.concatenate([dist, np.zeros(max_possible + 1 - dist.size, dtype=np.int64)])
    names = [s["name"] for s in second]
    output = _written(folder, names, data.n_persons)
    return SparseItemAnalysis(
        items=tuple(
            SparseItemStats(
                item_id=item,
                n=int(n_item[j]),
                mean=float(mean[j]),
                max_score=int(maxes[j]),
                p=float(p[j]),
                rpbis=float(rpbis[j]),
                biserial=float(biserial[j]),
                alpha_if_deleted=float(aid[j]),
            )
            for j, item in enumerate(data.item_ids)
        ),
        n_persons=n_persons,
        mean=t_sum / n_persons if n_persons else math.nan,
        sd=sd,
        min=float(t_min),
        max=float(t_max),
        max_possible=max_possible,
        alpha=alpha,
        sem=sem,
        score_distribution=tuple(int(c) for c in dist),
        output=output,
    )


def _ctt_sums(index, indptr, items, scores, person_ids, *, n_items) -> dict:
    from scipy import sparse

    n = indptr.size - 1
    x = sparse.csr_matrix((scores.astype(np.float64), items, indptr), shape=(n, n_items))
    m = sparse.csr_matrix((np.ones(items.size), items, indptr), shape=(n, n_items))
    lengths = np.diff(indptr)
    active = lengths > 0
    total = np.asarray(x.sum(axis=1)).ravel()
    highest = np.zeros(n_items)
    np.maximum.at(highest, items, scores.astype(np.float64))
    t = total[active]
    return {
        "n_item": np.asarray(m.sum(axis=0)).ravel(),
        "sum_x": np.asarray(x.sum(axis=0)).ravel(),
        "sum_total": np.asarray(m.T @ total).ravel(),
        "n_pair": (m.T @ m).toarray(),
        "sx": (x.T @ m).toarray(),
        "sxy": (x.T @ x).toarray(),
        "highest": highest,
        "dist": np.bincount(t.astype(np.int64), minlength=1),
        "n_persons": int(active.sum()),
        "t_sum": float(t.sum()),
        "t_min": float(t.min()) if t.size else math.nan,
        "t_max": float(t.max()) if t.size else math.nan,
    }


def _ctt_centred(
    index, indptr, items, scores, person_ids, *, folder, n_items, mean, mean_rest, t_mean
) -> dict:
    n = indptr.size - 1
    lengths = np.diff(indptr)
    row = np.repeat(np.arange(n), lengths)
    xs = scores.astype(np.float64)
    total = np.bincount(row, weights=xs, minlength=n)
    dx = xs - mean[items]
    dy = total[row] - xs - mean_rest[items]
    active = lengths > 0
    name = _write_part(
        folder,
        index,
        {
            "person_id": np.asarray(person_ids[active]).astype(str),
            "total": total[active].astype(np.int64),
            "n_presented": lengths[active].astype(np.int64),
        },
    )
    return {
        "sxy": np.bincount(items, weights=dx * dy, minlength=n_items),
        "sxx": np.bincount(items, weights=dx * dx, minlength=n_items),
        "syy": np.bincount(items, weights=dy * dy, minlength=n_items),
        "t_dev2": float(((total[active] - t_mean) ** 2).sum()),
        "name": name,
    }
