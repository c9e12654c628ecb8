"""MML-EM calibration of sparse long data by a partitioned E-step (map over persons, sum).

The marginal log-likelihood and the E-step's expected counts are sums over persons. Persons are
split once into partitions; in each partition identical response patterns (same presented items,
same scores) are collapsed, and the E-step of a partition returns its *sufficient statistics*:

* ``r[j, k, q]``, the expected number of persons at node ``q`` with score ``k`` on item ``j``;
* ``n[q]``, the expected number of persons at node ``q`` (the latent moments follow from it);
* the log-likelihood of the partition.

The statistics of all partitions are summed and handed to the engine's own M-step
(:func:`psychometrics.irt._engine.run_em`, with its SQUAREM acceleration, boundary handling and
convergence rules), so the estimates equal the in-memory engine's up to floating-point
summation order. The per-pattern log-likelihood is one sparse product: a pattern's row of the
indicator matrix ``X`` (patterns x item-categories) has a 1 in column ``j * K + k`` for each
presented item ``j`` scored ``k``, and ``LL = X @ log P`` with ``log P`` of shape
``(J * K, Q)``; the counts come back as ``X^T W`` with ``W`` the frequency-weighted posteriors.
No persons x bank matrix is ever formed.

With ``scheduler`` every partition is built once on a ``dask.distributed`` worker by a task
holding its persons' slice of the data, stays there between EM steps, and only the item
log-probabilities (to the workers) and the statistics (back) travel. A partition lost with its
worker is rebuilt by the scheduler from the task's inputs (Dask's own recomputation).

References
----------
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item parameters:
    application of an EM algorithm. *Psychometrika*, 46(4), 443-459.
Dean, J., & Ghemawat, S. (2008). MapReduce: simplified data processing on large clusters.
    *Communications of the ACM*, 51(1), 107-113.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from psychometrics.irt import _engine
from psychometrics.irt._estep import CACHE_BYTES, EStepResult, Patterns, compress, estep
from psychometrics.irt._prepare import Prepared, check_models, choose_items
from psychometrics.irt._reporting import reported_parameters
from psychometrics.irt._result import CalibrationResult, CalibrationWarning, ConvergenceWarning
from psychometrics.irt._se import covariance
from psychometrics.irt.calibration import (
    DEFAULT_C_PRIOR,
    START_SAMPLE,
    _check_options,
    _pair,
    build_result,
    em_setup,
    warn_extreme,
)
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.threads import blas_threads, resolve_threads
from psychometrics.long_responses import SparseResponses

START_CELLS = 20_000_000
"""Most cells of the dense sample for starting values (50,000 persons up to 400 items; the
in-memory engine's sample, so the two start alike, up to that bank size)."""
PARTITION_PERSONS = 250_000
"""Default persons per partition (a partition's E-step holds ~chunk x nodes floats at a time)."""
PARTITIONED_SE = ("louis", "xpd", "none")
"""Standard errors summed over partitions (the sandwich's person scores are not, yet)."""
EMBED_BYTES = 16_000_000
"""Arrays of a map call (the item log-probabilities) up to this many bytes over all partitions
travel inside the tasks; larger ones are broadcast to the workers once per call."""
CONNECT_SECONDS = 10.0
"""How long a scheduler address may take to answer."""


class ClusterError(RuntimeError):
    """The Dask scheduler could not be reached, or the cluster failed in a way Dask's own
    recomputation could not repair (all workers gone, a task failing on every retry)."""


def _cluster_failure(exc: BaseException) -> bool:
    """Whether ``exc`` comes from the cluster (not from credkit's own code on a worker)."""
    module = type(exc).__module__ or ""
    return module.split(".")[0] in ("distributed", "tornado") or isinstance(
        exc, OSError | TimeoutError
    )


# ----------------------------------------------------------------------------- partitions


MIN_GROUP = 32
"""Persons sharing one set of presented items (a form) from whom the set is a dense group."""


@dataclass(frozen=True)
class Group:
    """Persons of a partition presented the same items: the engine's dense patterns over them."""

    items: np.ndarray  # (J_g,) positions in the calibrated item list
    patterns: Patterns


@dataclass(frozen=True)
class Partition:
    """The persons of one partition, ready for the E-step.

    Persons whose set of presented items is shared by at least :data:`MIN_GROUP` persons of the
    partition form dense :class:`Group` s (the in-memory engine's patterns and E-step, restricted
    to those items); the others stay sparse: unique patterns as indicator columns
    ``item * K + score``.
    """

    groups: tuple[Group, ...]
    indptr: np.ndarray  # (n_sparse_patterns + 1,)
    cols: np.ndarray  # int32 indicator columns, sorted within a pattern
    freq: np.ndarray  # (n_sparse_patterns,) number of persons with the pattern
    n_items: int
    k_max: int

    @property
    def n_patterns(self) -> int:
        return int(self.freq.size) + sum(g.patterns.n_patterns for g in self.groups)

    @property
    def n_persons(self) -> int:
        return int(round(self.freq.sum() + sum(g.patterns.freq.sum() for g in self.groups)))

    @property
    def indicator_bytes(self) -> int:
        """Bytes the groups' cached float64 indicator matrices take."""
        return sum(
            g.patterns.n_patterns * (g.patterns.n_cat_cols + g.patterns.miss_items.size) * 8
            for g in self.groups
        )


@dataclass(frozen=True)
class Statistics:
    """Sufficient statistics of an E-step (summable over partitions)."""

    loglik: float
    counts: np.ndarray  # (J, K, Q)
    n_q: np.ndarray  # (Q,)

    def __add__(self, other: Statistics) -> Statistics:
        return Statistics(
            self.loglik + other.loglik, self.counts + other.counts, self.n_q + other.n_q
        )


def _padded(indptr: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Rows of a CSR slice as a ``(n, longest)`` matrix padded with -1."""
    n = indptr.size - 1
    lengths = np.diff(indptr)
    if n and lengths.min() == lengths.max() > 0:  # every row as long: a plain reshape
        return np.ascontiguousarray(values.reshape(n, int(lengths[0])), dtype=np.int32)
    out = np.full((n, max(int(lengths.max(initial=0)), 1)), -1, dtype=np.int32)
    row = np.repeat(np.arange(n), lengths)
    out[row, np.arange(values.size) - np.repeat(indptr[:-1], lengths)] = values
    return out


def _unique_rows(matrix: np.ndarray):
    """``(first index, inverse, counts)`` of the rows, numbered in order of first appearance."""
    if matrix.shape[0] and bool(np.all(matrix == matrix[0])):  # one row (a single form)
        n = matrix.shape[0]
        return np.zeros(1, dtype=np.int64), np.zeros(n, dtype=np.int64), np.array([n])
    view = np.ascontiguousarray(matrix).view(np.dtype((np.void, matrix.shape[1] * 4))).ravel()
    _, first, inverse, counts = np.unique(
        view, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return first[order], rank[inverse.ravel()], counts[order]


def make_partition(
    indptr: np.ndarray,
    cols: np.ndarray,
    n_categories: np.ndarray,
    *,
    k_max: int,
    chunk_size: int = 50_000,
    min_group: int = MIN_GROUP,
) -> Partition:
    """Group and compress the persons of a CSR slice (``indptr`` from 0, cols ``item*K+score``)."""
    n_categories = np.asarray(n_categories, dtype=np.int64)
    padded = _padded(indptr, cols)
    item_sets = np.where(padded >= 0, padded // k_max, -1)
    _, set_of, set_size = _unique_rows(item_sets)
    big = set_size >= min_group
    groups = []
    if big.any():
        order = np.argsort(set_of, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(set_of, minlength=set_size.size))])
        for s in np.flatnonzero(big):
            rows = order[bounds[s] : bounds[s + 1]]
            width = int(np.sum(item_sets[rows[0]] >= 0))
            items = item_sets[rows[0], :width].astype(np.int64)
            codes = padded[rows, :width] - (items * k_max)[None, :]
            pat = compress(codes, n_categories[items], chunk_size=chunk_size)
            groups.append(Group(items=items, patterns=pat))
    rest = ~big[set_of]
    lengths = np.diff(indptr)[rest]
    sub = padded[rest]
    freq = np.zeros(0)
    new_len = np.zeros(0, dtype=np.int64)
    flat = np.zeros(0, dtype=np.int32)
    if sub.shape[0]:
        first, _, counts = _unique_rows(sub)
        uniq = sub[first]
        new_len = lengths[first]
        flat = uniq[uniq >= 0].astype(np.int32)
        freq = counts.astype(np.float64)
    return Partition(
        groups=tuple(groups),
        indptr=np.concatenate([[0], np.cumsum(new_len)]).astype(np.int64),
        cols=flat,
        freq=freq,
        n_items=int(n_categories.size),
        k_max=int(k_max),
    )


def partition_statistics(
    part: Partition,
    logp: np.ndarray,
    log_weights: np.ndarray,
    nodes: np.ndarray | None = None,
    *,
    chunk_size: int = 50_000,
    dtype=np.float64,
    keep_cache: bool = True,
) -> Statistics:
    """E-step statistics of one partition.

    ``logp`` is ``log P(X_j = k | node q)`` of shape ``(J, K, Q)``; ``log_weights`` the log prior
    weights of the nodes (summing to one). Dense groups run the engine's own E-step
    (:func:`psychometrics.irt._estep.estep`) on their items; sparse patterns one sparse product.
    """
    n_q = log_weights.size
    counts = np.zeros((part.n_items, part.k_max, n_q))
    n_node = np.zeros(n_q)
    loglik = 0.0
    for g in part.groups:
        g.patterns.dtype = dtype
        res = estep(g.patterns, logp[g.items], log_weights, nodes)
        if not keep_cache:
            g.patterns.drop_cache()
        counts[g.items] += res.counts
        n_node += res.n_q
        loglik += res.loglik
    if part.freq.size:
        loglik += _sparse_statistics(part, logp, log_weights, counts, n_node, chunk_size, dtype)
    return Statistics(loglik=loglik, counts=counts, n_q=n_node)


def _sparse_statistics(part, logp, log_weights, counts, n_node, chunk_size, dtype) -> float:
    """Add the sparse patterns' expected counts to ``counts``/``n_node``; their log-likelihood."""
    n_q = log_weights.size
    lp = np.ascontiguousarray(logp.reshape(-1, n_q), dtype=dtype)
    lw = log_weights.astype(dtype)
    flat_counts = counts.reshape(-1, n_q)
    n_pat = part.freq.size
    loglik = 0.0
    for start in range(0, n_pat, chunk_size):
        stop = min(start + chunk_size, n_pat)
        lo, hi = part.indptr[start], part.indptr[stop]
        x = sparse.csr_matrix(
            (np.ones(hi - lo, dtype=dtype), part.cols[lo:hi], part.indptr[start : stop + 1] - lo),
            shape=(stop - start, lp.shape[0]),
        )
        ll = x @ lp
        ll += lw[None, :]
        top = ll.max(axis=1)
        ll -= top[:, None]
        np.exp(ll, out=ll)
        total = ll.sum(axis=1, dtype=np.float64)
        freq = part.freq[start:stop]
        loglik += float(freq @ (np.log(total) + top.astype(np.float64)))
        ll *= (freq / total).astype(dtype)[:, None]
        flat_counts += x.T @ ll
        n_node += ll.sum(axis=0, dtype=np.float64)
    return loglik


class PartitionedPatterns:
    """Partitioned sparse responses that :func:`._engine.run_em` takes in place of ``Patterns``.

    The engine calls :meth:`estep`; the statistics are computed per partition (in this process,
    or on a ``dask.distributed`` client) and summed in partition order, so the result does not
    depend on which worker computed what.

    On a cluster every partition is a *task* whose inputs (the persons' slice of the sparse
    data) are part of the task graph: the scheduler keeps them, the built partition stays in the
    memory of the worker that built it between EM steps, and if that worker dies the scheduler
    rebuilds the partition elsewhere from its inputs (``dask.distributed``'s own recomputation
    of lost results) -- unlike scattered data, which would be lost with its worker.
    """

    def __init__(
        self,
        partitions: list[Partition],
        n_categories: np.ndarray,
        *,
        chunk_size: int = 50_000,
        client=None,
    ) -> None:
        if not partitions:
            raise ValueError("partitions: at least one partition is needed")
        partitions = list(partitions)
        meta = [_describe(p) for p in partitions]
        futures = None
        if client is not None:
            with _quiet_large_graph():
                futures = [client.submit(_same, p, pure=False) for p in partitions]
            partitions = None
        self._setup(n_categories, chunk_size, client, partitions, futures, meta)

    @classmethod
    def from_slices(
        cls,
        slices,
        n_categories: np.ndarray,
        *,
        chunk_size: int = 50_000,
        client=None,
    ) -> PartitionedPatterns:
        """Build the partitions from CSR slices ``(indptr, cols)`` (:func:`partition_slices`).

        With a ``client`` each partition is built on a worker by a task holding its slice, so
        that the cluster can rebuild it if the worker is lost.
        """
        n_categories = np.asarray(n_categories, dtype=np.int64)
        k_max = int(n_categories.max())
        kw = {"k_max": k_max, "chunk_size": int(chunk_size)}
        if client is None:
            parts = [make_partition(ip, cols, n_categories, **kw) for ip, cols in slices]
            return cls(parts, n_categories, chunk_size=chunk_size)
        try:
            with _quiet_large_graph():
                futures = [
                    client.submit(make_partition, ip, cols, n_categories, pure=False, **kw)
                    for ip, cols in slices
                ]
            if not futures:
                raise ValueError("partitions: at least one partition is needed")
            meta = client.gather(client.map(_describe, futures, pure=False))
        except Exception as exc:
            if _cluster_failure(exc):
                raise ClusterError(f"the Dask cluster failed: {exc}") from exc
            raise
        self = cls.__new__(cls)
        self._setup(n_categories, chunk_size, client, None, futures, meta)
        return self

    def _setup(self, n_categories, chunk_size, client, partitions, futures, meta) -> None:
        self.partitions = partitions
        self._futures = futures
        self.client = client
        self.n_categories = np.asarray(n_categories, dtype=np.int64)
        self.k_max = int(self.n_categories.max())
        self.chunk_size = int(chunk_size)
        self.dtype = np.float64
        self.n_partitions = len(meta)
        self._n_patterns = sum(m[0] for m in meta)
        self.n_persons = sum(m[1] for m in meta)
        # like the in-memory engine: indicator matrices are kept between EM steps if they fit
        self.keep_cache = sum(m[2] for m in meta) <= CACHE_BYTES
        self.progress: Callable[[str], None] | None = None
        self.progress_every = 2.0
        self._steps = 0
        self._label = "partitions"
        self._last_report = time.perf_counter()

    @property
    def n_patterns(self) -> int:
        return self._n_patterns

    @property
    def n_items(self) -> int:
        return int(self.n_categories.size)

    def map(self, func, *args, **kwargs) -> list:
        """``func(partition, *args, **kwargs)`` for every partition, in partition order.

        Progress lines count the partitions done. On a cluster the large arguments travel once
        per call (as one task every partition's task depends on), the results come back.
        """
        n_parts = self.n_partitions
        if self.client is None:
            out = []
            for part in self.partitions:
                out.append(func(part, *args, **kwargs))
                self._report(len(out), n_parts)
            return out
        from distributed import as_completed

        client = self.client
        try:
            # small arrays ride in every task (no extra round trip); large ones are broadcast
            # to every worker once (a copy survives the loss of any one worker)
            big = sum(a.nbytes for a in args if isinstance(a, np.ndarray)) * n_parts > EMBED_BYTES
            with _quiet_large_graph():
                shared = [
                    client.scatter(a, broadcast=True, hash=False)
                    if big and isinstance(a, np.ndarray) and a.nbytes > 65_536
                    else a
                    for a in args
                ]
            futures = [client.submit(func, f, *shared, pure=False, **kwargs) for f in self._futures]
            position = {f.key: i for i, f in enumerate(futures)}
            out: list = [None] * n_parts
            done = 0
            for future, result in as_completed(futures, with_results=True):
                out[position[future.key]] = result  # in partition order, whoever computed it
                done += 1
                self._report(done, n_parts)
            return out
        except Exception as exc:
            if _cluster_failure(exc):
                raise ClusterError(f"the Dask cluster failed: {exc}") from exc
            raise

    def statistics(self, logp: np.ndarray, log_weights: np.ndarray, nodes=None) -> Statistics:
        """Summed statistics for item log-probabilities ``logp`` of shape ``(J, K, Q)``."""
        kwargs = {"chunk_size": self.chunk_size, "dtype": self.dtype, "keep_cache": self.keep_cache}
        self._steps += 1
        self._label = f"E-step {self._steps}"
        parts = self.map(partition_statistics, logp, log_weights, nodes, **kwargs)
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total

    def _report(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.progress is not None and now - self._last_report >= self.progress_every:
            self.progress(f"{self._label}: {done} of {total} partitions done")
            self._last_report = now

    def estep(self, logp, log_weights, nodes=None) -> EStepResult:
        st = self.statistics(logp, log_weights, nodes)
        return EStepResult(loglik=st.loglik, counts=st.counts, n_q=st.n_q)

    def release(self) -> None:
        """Drop the partitions held on the cluster."""
        if self._futures is not None:
            for f in self._futures:
                f.release()
            self._futures = []


def _same(obj):
    return obj


def _describe(part: Partition) -> tuple[int, int, int]:
    return part.n_patterns, part.n_persons, part.indicator_bytes


class _quiet_large_graph(warnings.catch_warnings):
    """The partitions' inputs are deliberately in the task graph (so they can be recomputed)."""

    def __enter__(self):
        out = super().__enter__()
        warnings.filterwarnings("ignore", message=".*[Ll]arge object.*")
        return out


# ----------------------------------------------------------------------------- preparation


def prepare_sparse(
    data: SparseResponses,
    *,
    model: str | Mapping[str, str],
    poly_model: str | None,
    anchors: ItemParameters | None,
) -> tuple[Prepared, np.ndarray, np.ndarray]:
    """The checks of :func:`psychometrics.irt._prepare.prepare` on sparse data.

    Returns the :class:`Prepared` (its ``scores`` a dense sample of at most
    :data:`~psychometrics.irt.calibration.START_SAMPLE` persons, for starting values), the new
    position of every item (-1 = left out) and the mask of persons kept.
    """
    check_models(model, poly_model)
    if data.n_items == 0:
        raise ValueError("responses: no item columns")
    answering = np.diff(data.indptr) > 0
    if int(answering.sum()) < 2:
        raise ValueError(
            f"responses: {int(answering.sum())} person(s) with any response; at least two are "
            "needed"
        )
    counts = data.category_counts()
    n_cat_data = data.n_categories(counts)
    k = int(n_cat_data.max())
    freq = np.zeros((data.n_items, k), dtype=np.int64)
    freq[:, : min(k, counts.shape[1])] = counts[:, :k]
    keep, models, is_anchor, ncat, dropped_items = choose_items(
        data.item_ids,
        freq,
        n_cat_data,
        model=model,
        poly_model=poly_model,
        anchors=anchors,
        stacklevel=5,
    )
    new_pos = np.full(data.n_items, -1, dtype=np.int64)
    new_pos[keep] = np.arange(len(keep))
    if np.all(new_pos >= 0):  # every item kept: persons with any row
        has_any = np.diff(data.indptr) > 0
    else:
        has_any = data.persons_with(lambda lo, hi: new_pos[data.items[lo:hi]] >= 0)
    dropped_persons = tuple((str(p), "no responses") for p in data.person_ids[~has_any])
    if dropped_persons:
        warnings.warn(
            f"{len(dropped_persons)} person(s) without any response left out",
            CalibrationWarning,
            stacklevel=4,
        )
    kept_persons = np.flatnonzero(has_any)
    if kept_persons.size < 2:
        raise ValueError("responses: fewer than two persons with responses")
    # the rows calibrate() samples for starting values (every ceil(N / START_SAMPLE)-th), fewer
    # for a large bank so that the dense sample stays within START_CELLS
    rows = max(2, min(START_SAMPLE, START_CELLS // max(len(keep), 1)))
    sample = kept_persons[:: -(-kept_persons.size // rows)]
    scores = data.to_dense(sample)[:, keep]
    prep = Prepared(
        item_ids=tuple(data.item_ids[j] for j in keep),
        models=tuple(models),
        scores=scores,
        n_categories=np.asarray(ncat, dtype=int),
        is_anchor=np.asarray(is_anchor, dtype=bool),
        anchor_ids=tuple(data.item_ids[j] for j, a in zip(keep, is_anchor, strict=True) if a),
        dropped_items=tuple(dropped_items),
        dropped_persons=dropped_persons,
    )
    return prep, new_pos, has_any


def partition_slices(
    data: SparseResponses,
    new_pos: np.ndarray,
    persons: np.ndarray,
    n_categories: np.ndarray,
    *,
    partition_size: int = PARTITION_PERSONS,
):
    """CSR slices ``(indptr, cols)`` of the kept ``persons`` (a mask), ``partition_size`` each.

    ``cols`` are indicator columns ``item * K + score`` over the calibrated items (``new_pos``
    gives each item's position, -1 = left out; ``K`` the largest number of categories).
    """
    idx = np.flatnonzero(persons)
    k_max = int(np.max(n_categories))
    for start in range(0, idx.size, partition_size):
        rows = idx[start : start + partition_size]
        if rows.size == rows[-1] - rows[0] + 1:  # consecutive persons: one slice of the arrays
            lo, hi = data.indptr[rows[0]], data.indptr[rows[-1] + 1]
            item = new_pos[data.items[lo:hi]]
            score = data.scores[lo:hi]
            lengths = np.diff(data.indptr[rows[0] : rows[-1] + 2])
        else:
            starts, stops = data.indptr[rows], data.indptr[rows + 1]
            lengths = stops - starts
            pos = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(
                lengths.sum()
            )
            item = new_pos[data.items[pos]]
            score = data.scores[pos]
        keep = item >= 0
        if keep.all():
            cols = item.astype(np.int32)
            cols *= k_max
            cols += score
            indptr = np.concatenate([[0], np.cumsum(lengths)])
        else:
            cols = (item * k_max + score)[keep].astype(np.int32)
            row_of = np.repeat(np.arange(rows.size), lengths)[keep]
            indptr = np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=rows.size))])
        yield indptr.astype(np.int64), cols


def partition(
    data: SparseResponses,
    new_pos: np.ndarray,
    persons: np.ndarray,
    n_categories: np.ndarray,
    *,
    partition_size: int = PARTITION_PERSONS,
    chunk_size: int = 50_000,
) -> list[Partition]:
    """Split the kept ``persons`` (a mask) into partitions of at most ``partition_size``.

    ``new_pos`` gives each item's position among the calibrated items (-1 = left out) and
    ``n_categories`` their numbers of categories.
    """
    n_categories = np.asarray(n_categories, dtype=np.int64)
    k_max = int(n_categories.max())
    return [
        make_partition(indptr, cols, n_categories, k_max=k_max, chunk_size=chunk_size)
        for indptr, cols in partition_slices(
            data, new_pos, persons, n_categories, partition_size=partition_size
        )
    ]


# ----------------------------------------------------------------------------- calibration


def calibrate_sparse(
    data: SparseResponses,
    *,
    model: str | Mapping[str, str] = "2pl",
    poly_model: str | None = None,
    anchors: ItemParameters | None = None,
    quadrature: int = 61,
    theta_range: tuple[float, float] = (-6.0, 6.0),
    max_iter: int = 2000,
    tol: float = 1e-5,
    ll_tol: float = 1e-9,
    c_prior: tuple[float, float] | None = DEFAULT_C_PRIOR,
    latent: tuple[float, float] = (0.0, 1.0),
    accelerate: bool = True,
    se: str = "louis",
    partition_size: int | None = None,
    chunk_size: int = 50_000,
    scheduler=None,
    progress: Callable[[str], None] | None = None,
    progress_interval: float = 2.0,
    threads: int | None = None,
) -> CalibrationResult:
    """Calibrate items on sparse long data by EM with a partitioned E-step.

    The arguments shared with :func:`psychometrics.irt.calibrate` mean the same and give the
    same estimates (up to floating-point summation order), standard errors included: the
    information matrix is summed over partitions too
    (:mod:`psychometrics.irt.partitioned_se`).

    Parameters
    ----------
    data
        Sparse responses (:func:`psychometrics.long_responses.read_long`).
    se
        ``"louis"`` (observed information), ``"xpd"`` (cross-product) or ``"none"``, as in
        :func:`psychometrics.irt.calibrate` (computed per partition and summed; no fallback
        from Louis to xpd for many patterns, since no partition holds them all).
    partition_size
        Persons per partition. Default: :data:`PARTITION_PERSONS` in this process; on a cluster
        also at most the persons divided by the workers' threads, so every thread has a part.
    chunk_size
        Response patterns per sparse product inside a partition (bounds memory).
    scheduler
        None (partitions computed in this process), ``"local"`` (a ``dask.distributed``
        ``LocalCluster`` on this machine, started and closed here), a scheduler address
        (``"tcp://host:8786"``) or a ``distributed.Client``.
    threads
        BLAS threads in this process, as in :func:`psychometrics.irt.calibrate`.

    Returns
    -------
    CalibrationResult

    References
    ----------
    Bock, R. D., & Aitkin, M. (1981). *Psychometrika*, 46(4), 443-459.
    """
    if not isinstance(data, SparseResponses):
        raise TypeError(f"data must be SparseResponses, got {type(data).__name__}")
    _check_options(quadrature, theta_range, max_iter, tol, ll_tol, c_prior, se, "credkit", 1)
    if se not in PARTITIONED_SE:
        raise ValueError(
            f"se={se!r} is not available on partitioned data; use one of "
            f"{', '.join(PARTITIONED_SE)}"
        )
    if not _pair(latent) or not latent[1] > 0:
        raise ValueError(f"latent must be (mean, sd) with sd > 0, got {latent!r}")
    sizes = [("chunk_size", chunk_size)]
    if partition_size is not None:
        sizes.append(("partition_size", partition_size))
    for name, value in sizes:
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if anchors is not None and not isinstance(anchors, ItemParameters):
        raise TypeError("anchors must be ItemParameters (see psychometrics.irt.read_params)")
    if scheduler is not None and not isinstance(scheduler, str) and not _is_client(scheduler):
        raise TypeError(
            "scheduler must be None, 'local', a scheduler address or a distributed.Client"
        )
    with blas_threads(resolve_threads(threads)):
        return _calibrate_sparse(
            data,
            model=model,
            poly_model=poly_model,
            anchors=anchors,
            quadrature=quadrature,
            theta_range=theta_range,
            max_iter=max_iter,
            tol=tol,
            ll_tol=ll_tol,
            c_prior=c_prior,
            latent=latent,
            accelerate=accelerate,
            se=se,
            partition_size=partition_size,
            chunk_size=chunk_size,
            scheduler=scheduler,
            progress=progress,
            progress_interval=progress_interval,
        )


def _calibrate_sparse(
    data, *, model, poly_model, anchors, quadrature, theta_range, max_iter, tol, ll_tol, c_prior,
    latent, accelerate, se, partition_size, chunk_size, scheduler, progress, progress_interval,
) -> CalibrationResult:  # fmt: skip
    start = time.perf_counter()
    prep, new_pos, persons = prepare_sparse(
        data, model=model, poly_model=poly_model, anchors=anchors
    )
    k_max = int(prep.n_categories.max())
    blocks, lat, settings = em_setup(
        prep,
        anchors=anchors,
        c_prior=c_prior,
        latent=latent,
        theta_range=theta_range,
        quadrature=quadrature,
        max_iter=max_iter,
        tol=tol,
        ll_tol=ll_tol,
        accelerate=accelerate,
        progress=progress,
        progress_interval=progress_interval,
    )
    nodes = settings.nodes
    with _client(scheduler) as client:
        size = partition_size
        if size is None:
            size = PARTITION_PERSONS
            if client is not None:
                n_threads = sum(client.nthreads().values()) or 1
                size = min(size, -(-int(persons.sum()) // n_threads))
        slices = partition_slices(
            data, new_pos, persons, prep.n_categories, partition_size=max(int(size), 1)
        )
        pat = PartitionedPatterns.from_slices(
            slices, prep.n_categories, chunk_size=chunk_size, client=client
        )
        try:
            pat.progress, pat.progress_every = progress, float(progress_interval)
            outcome = _engine.run_em(pat, blocks, lat, settings)
            logp = _engine.all_log_probs(blocks, pat.n_items, k_max, nodes)
            loglik = pat.statistics(logp, _engine.log_weights(nodes, lat.mean, lat.sd)).loglik
            if not outcome.converged:
                warnings.warn(outcome.message, ConvergenceWarning, stacklevel=3)
            boundary = tuple(
                (prep.item_ids[j], "c reached its lower bound 0 and is held there (not estimated)")
                for j in sorted(outcome.held)
            )
            if boundary:
                shown = ", ".join(i for i, _ in boundary[:10]) + (
                    ", ..." if len(boundary) > 10 else ""
                )
                warnings.warn(
                    f"{len(boundary)} 3PL item(s) with c on its boundary: c is held at 0 and not "
                    f"estimated (no SE for it); the other parameters keep their SEs: {shown}",
                    CalibrationWarning,
                    stacklevel=3,
                )
            n_free = sum(b.n_free for b in blocks) + lat.n_free
            cov = None
            if se != "none" and n_free:
                if progress is not None and outcome.seconds >= settings.progress_every:
                    progress("computing standard errors")
                cov = _covariance(pat, blocks, lat, nodes, c_prior, se)
        finally:
            pat.release()
    params, lat_se = reported_parameters(prep, blocks, lat, cov)
    flagged = warn_extreme(params, prep.anchor_ids, theta_range, stacklevel=4)
    return build_result(
        prep,
        blocks,
        lat,
        params,
        lat_se,
        loglik=float(loglik),
        n_free=int(n_free),
        n_persons=pat.n_persons,
        outcome=outcome,
        c_prior=c_prior,
        se_method=se,
        quadrature=(int(quadrature), float(theta_range[0]), float(theta_range[1])),
        seconds=time.perf_counter() - start,
        flagged=flagged,
        boundary=boundary,
    )


def _covariance(pat, blocks, lat, nodes, c_prior, method):
    """Covariance of the free parameters from the information summed over partitions."""
    from psychometrics.irt import partitioned_se

    pat._label = "standard errors"
    shares = pat.map(partitioned_se.partition_information, blocks, lat, nodes, method=method)
    total = shares[0]
    for share in shares[1:]:
        total = total + share
    cov = covariance(partitioned_se.finish(total, blocks, lat, nodes, c_prior, method=method))
    if cov is None:
        warnings.warn(
            "the information matrix is not positive definite; standard errors are NaN "
            "(the model may be poorly identified by these data)",
            CalibrationWarning,
            stacklevel=4,
        )
    return cov


def _is_client(obj) -> bool:
    try:
        from distributed import Client
    except ImportError:
        return False
    return isinstance(obj, Client)


def _connect(address: str):
    """A ``distributed.Client`` of the scheduler at ``address``, or a :class:`ClusterError`."""
    import socket

    from distributed import Client
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls", "ws", "wss"):
            host, port = parse_host_port(location)
    except ValueError as exc:
        raise ValueError(
            f"scheduler: {address!r} is not a scheduler address like tcp://HOST:8786 ({exc})"
        ) from None
    if scheme in ("tcp", "tls", "ws", "wss"):
        try:  # a quick probe, so that an unreachable address fails fast and cleanly
            socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise ClusterError(
                f"no Dask scheduler answers at {address} ({reason}); start one with "
                "'dask scheduler' or check the address"
            ) from None
    try:
        return Client(address, timeout=3 * CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot connect to the Dask scheduler at {address} ({exc})") from None


class _client:
    """Context giving None or a ``distributed.Client`` for ``scheduler`` (closed if made here)."""

    def __init__(self, scheduler) -> None:
        self.scheduler = scheduler
        self.owned: list = []

    def __enter__(self):
        if self.scheduler is None:
            return None
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ValueError(
                "scheduler needs dask.distributed: pip install 'credkit[scale]'"
            ) from None
        if isinstance(self.scheduler, Client):
            return self.scheduler
        if self.scheduler == "local":
            cluster = LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            self.owned.append(cluster)
            client = Client(cluster)
        elif isinstance(self.scheduler, str):
            client = _connect(self.scheduler)
        else:
            raise TypeError(
                "scheduler must be None, 'local', a scheduler address or a distributed.Client"
            )
        self.owned.insert(0, client)
        return client

    def __exit__(self, *exc) -> None:
        for obj in self.owned:
            obj.close()
