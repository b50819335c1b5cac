"""Run a grid of independent tasks in this process or on a Dask cluster.

Explained in: README ("Running the grid on a cluster").

A task is one (dataset, method, seed) run of ``laic compare`` or one papermill execution of ``laic batch``.
:func:`execute` runs a list of tasks

* in this process, one after another (no option: the default);
* on a local Dask cluster of ``workers`` worker processes (``--workers N``);
* on a running Dask scheduler (``--scheduler tcp://HOST:PORT``), whose workers must see the same
  feature cache and output folders (a shared filesystem on a cluster);
* on an HPC batch system through dask-jobqueue (``--cluster slurm|pbs|sge|lsf`` with
  ``--cluster-option key=value`` passed to the cluster class, ``--jobs N`` batch jobs).

Results do not depend on where a task ran: a task computes exactly what the in-process run computes. A
task that raises is reported in one line with its name and the others go on; the scheduler re-runs the
task of a worker that died. Tasks write their own outputs (atomically), so an interrupted grid resumes:
a task whose output already exists with the same fingerprint is skipped.
"""
from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from typing import Callable

from ..utils.errors import LaicError, ParameterError, one_line

__all__ = ["Task", "GridReport", "execute", "CLUSTERS", "make_jobqueue_cluster", "parse_cluster_options",
           "check_grid_options", "check_scheduler_address"]

#: Seconds to wait for a scheduler given with ``--scheduler``.
SCHEDULER_TIMEOUT = 30

#: Batch systems reachable through dask-jobqueue, by the name ``--cluster`` takes.
CLUSTERS = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster"}


@dataclass(frozen=True)
class Task:
    """One unit of a grid: ``fn(**kwargs)`` returns a dict with ``status`` ("done" or "skipped")."""

    name: str
    fn: Callable
    kwargs: dict


@dataclass
class GridReport:
    """What a grid did: task names done and skipped, failures with their one-line reason, seconds per task."""

    done: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)  # task name -> what its function returned
    where: str = "in-process"

    def summary(self) -> str:
        run = [self.seconds[n] for n in self.done if n in self.seconds]
        per = f"; {sum(run) / len(run):.1f} s per task run" if run else ""
        return (f"{len(self.done)} done, {len(self.skipped)} skipped, {len(self.failed)} failed "
                f"({self.where}{per})")


def _one_line(exc: BaseException) -> str:
    """``Type: message`` on one line: a multi-line message's lines joined, so no cause is cut off."""
    text = one_line(exc)
    if isinstance(exc, LaicError):  # our own errors say what happened; their type is noise
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}".rstrip(": ")


def _record(report: GridReport, task: Task, result=None, exc: BaseException | None = None) -> None:
    if exc is not None:
        report.failed.append((task.name, _one_line(exc)))
        return
    (report.skipped if result.get("status") == "skipped" else report.done).append(task.name)
    report.results[task.name] = result
    if "seconds" in result:
        report.seconds[task.name] = float(result["seconds"])


#: dask-jobqueue options that must be positive integers (the others are passed on as text).
INTEGER_OPTIONS = ("cores", "processes", "nanny_port", "worker_port")

#: The command each batch system submits jobs with: ``--cluster`` refuses to start without it.
SUBMIT_COMMANDS = {"slurm": "sbatch", "pbs": "qsub", "sge": "qsub", "lsf": "bsub"}

_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d+)$")


def parse_cluster_options(items) -> dict:
    """``["cores=2", "memory=8GB"]`` → ``{"cores": 2, "memory": "8GB"}`` (integers where they parse; the options of
    :data:`INTEGER_OPTIONS` must be positive integers)."""
    out = {}
    for item in items or []:
        key, sep, value = str(item).partition("=")
        key, value = key.strip().replace("-", "_"), value.strip()
        if not sep or not key:
            raise ParameterError(f"--cluster-option takes key=value (e.g. cores=4, memory=16GB); got {item!r}")
        if key in INTEGER_OPTIONS and not (value.isdigit() and int(value) >= 1):
            raise ParameterError(f"--cluster-option {key} must be a positive integer; got {value!r}")
        out[key] = int(value) if value.isdigit() else value
    return out


def check_scheduler_address(address: str) -> str:
    """A ``--scheduler`` address must read PROTOCOL://HOST:PORT (tcp, tls, ucx, ws, wss; port 1-65535)."""
    m = _ADDRESS.match(str(address))
    if not m or not 1 <= int(m.group(3)) <= 65535:
        raise ParameterError(f"--scheduler must be an address like tcp://HOST:PORT (port 1-65535); got {address!r}")
    return address


def check_grid_options(workers=None, scheduler=None, cluster=None, jobs=None, cluster_options=None) -> None:
    """Every grid option checked before any task starts: one of the three destinations, valid values, and the
    options that only make sense with ``--cluster`` only with it."""
    if workers is not None and workers < 1:
        raise ParameterError(f"--workers must be at least 1; got {workers}")
    if sum(x is not None and x is not False for x in (workers, scheduler, cluster)) > 1:
        raise ParameterError("give only one of --workers, --scheduler and --cluster")
    if scheduler is not None:
        check_scheduler_address(scheduler)
    if jobs is not None:
        if jobs < 1:
            raise ParameterError(f"--jobs must be at least 1; got {jobs}")
        if not cluster:
            raise ParameterError("--jobs sets the number of batch jobs of --cluster; give --cluster too")
    if cluster_options and not cluster:
        raise ParameterError("--cluster-option is an option of --cluster; give --cluster too")


def make_jobqueue_cluster(kind: str, options: dict | None = None, *, submit: bool = True):
    """A dask-jobqueue cluster of ``kind`` (slurm, pbs, sge, lsf) with ``options`` (cores, memory, walltime,
    queue, account, job_extra_directives, …; see dask-jobqueue). One worker process per job by default.
    ``submit=False`` builds it without the batch system's submit command (to print the job script)."""
    if kind not in CLUSTERS:
        raise ParameterError(f"--cluster must be one of {', '.join(CLUSTERS)}; got {kind!r}")
    if submit and shutil.which(SUBMIT_COMMANDS[kind]) is None:
        raise LaicError(f"--cluster {kind} submits jobs with {SUBMIT_COMMANDS[kind]}, which is not on this machine's "
                        "PATH (run laic on the cluster's login node, or use --print-job-script)")
    try:
        import dask_jobqueue
    except ImportError:
        raise LaicError("--cluster needs dask-jobqueue: pip install dask-jobqueue") from None
    opts = {"cores": 1, "memory": "8GB", "processes": 1, **(options or {})}
    # the scheduler runs where laic runs; its address (scheduler_host) must be reachable from the compute nodes
    scheduler = {"dashboard_address": opts.pop("dashboard_address", None)}
    if "scheduler_host" in opts:
        scheduler["host"] = opts.pop("scheduler_host")
    opts["scheduler_options"] = scheduler
    try:
        return getattr(dask_jobqueue, CLUSTERS[kind])(**opts)
    except (TypeError, ValueError, KeyError) as exc:
        raise ParameterError(f"--cluster {kind}: {_one_line(exc)}") from None


def _client(workers, scheduler, cluster, cluster_options, jobs):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise LaicError("--workers/--scheduler/--cluster need dask's distributed: pip install distributed") from None
    if scheduler:
        try:
            return Client(scheduler, timeout=SCHEDULER_TIMEOUT), None, f"scheduler {scheduler}"
        except (OSError, TimeoutError, ValueError) as exc:
            raise LaicError(f"cannot reach the Dask scheduler at {scheduler}: {_one_line(exc)}") from None
    if cluster:
        c = make_jobqueue_cluster(cluster, cluster_options)
        c.scale(jobs=jobs or 1)
        return Client(c), c, f"{cluster} cluster, {jobs or 1} job(s)"
    c = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(c), c, f"{workers} local Dask worker(s)"


def execute(tasks, *, workers: int | None = None, scheduler: str | None = None, cluster: str | None = None,
            cluster_options: dict | None = None, jobs: int | None = None, progress: bool = True,
            desc: str = "tasks") -> GridReport:
    """Run ``tasks``; in this process unless ``workers``, ``scheduler`` or ``cluster`` is given.

    Never raises for a failing task: its name and one-line reason go into ``report.failed``.
    """
    from tqdm import tqdm

    tasks = list(tasks)
    check_grid_options(workers, scheduler, cluster, jobs, cluster_options)
    report = GridReport()
    if not (workers or scheduler or cluster):
        bar = tqdm(total=len(tasks), desc=desc, unit="task", disable=not progress)
        for t in tasks:
            try:
                _record(report, t, t.fn(**t.kwargs))
            except Exception as exc:  # one task's failure must not stop the grid
                _record(report, t, exc=exc)
            bar.update(1)
        bar.close()
        return report
    from distributed import as_completed

    client, owned, report.where = _client(workers, scheduler, cluster, cluster_options, jobs)
    bar = tqdm(total=len(tasks), desc=desc, unit="task", disable=not progress)  # only once connected
    try:
        futures = {client.submit(t.fn, **t.kwargs, key=f"{t.name}-{time.time_ns()}", pure=False): t
                   for t in tasks}
        for fut in as_completed(futures):
            t = futures[fut]
            try:
                _record(report, t, fut.result())
            except Exception as exc:
                _record(report, t, exc=exc)
            bar.update(1)
    finally:
        bar.close()
        client.close()
        if owned is not None:
            owned.close()
    return report
