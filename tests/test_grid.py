"""The experiment grid on Dask: same records as in-process, one-line failures, resume, a killed worker, job scripts."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from laicpkg.cli import main
from laicpkg.run.experiments import compare
from laicpkg.run.grid import Task, execute, make_jobqueue_cluster, parse_cluster_options

pytest.importorskip("distributed")

GRID = dict(datasets=["synthetic-dogs"], methods=["kmeans", "tac-filter"], seeds=[0, 1])
FAST = {"final_nredo": 2, "kmeans_niter": 50}


def _records(folder: Path) -> dict:
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys() and a
    for name in a:
        assert a[name]["predictions_sha256"] == b[name]["predictions_sha256"], name
        assert a[name]["fingerprint"] == b[name]["fingerprint"], name


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("inproc")
    compare(**GRID, records_dir=out, overrides=FAST, progress=False)
    return _records(out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--dashboard-address", ":0", "--no-show"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path)]
    workers = []
    try:
        from distributed import Client

        for i in range(2):
            workers.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                             "--nthreads", "1", "--nworkers", "1", "--no-nanny",
                                             "--name", f"w{i}", "--dashboard-address", ":0"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                            cwd=tmp_path))
        deadline = time.time() + 60
        with Client(address, timeout=60) as c:
            while len(c.scheduler_info()["workers"]) < 2:
                if time.time() > deadline:
                    pytest.fail("the two Dask workers did not connect within 60 s")
                time.sleep(0.2)
        yield address, workers
    finally:
        for p in workers + procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=30)


def test_local_workers_give_the_same_records(tmp_path, in_process):
    out = tmp_path / "local"
    report = []
    compare(**GRID, records_dir=out, overrides=FAST, progress=False, grid={"workers": 2}, report=report)
    assert report[0].where == "2 local Dask worker(s)" and len(report[0].done) == 4 and not report[0].failed
    _same(_records(out), in_process)


def test_scheduler_and_a_killed_worker(tmp_path, in_process, dask_cluster, capsys):
    address, workers = dask_cluster
    out = tmp_path / "sched"
    report = []
    compare(**GRID, records_dir=out, overrides=FAST, progress=False, grid={"scheduler": address}, report=report)
    assert len(report[0].done) == 4 and report[0].where == f"scheduler {address}"
    _same(_records(out), in_process)
    # resume: every record exists with the same fingerprint, nothing runs again
    again = []
    compare(**GRID, records_dir=out, overrides=FAST, progress=False, grid={"scheduler": address}, report=again)
    assert len(again[0].skipped) == 4 and not again[0].done
    # kill one worker while a bigger grid runs: the scheduler re-runs its task elsewhere
    out2 = tmp_path / "killed"
    grid = dict(GRID, seeds=[0, 1, 2, 3])
    result = []
    thread = threading.Thread(target=lambda: compare(**grid, records_dir=out2, overrides=FAST, progress=False,
                                                     grid={"scheduler": address}, report=result))
    thread.start()
    deadline = time.time() + 120
    while not list(out2.glob("*.json")) and time.time() < deadline:
        time.sleep(0.05)
    os.kill(workers[0].pid, signal.SIGKILL)
    thread.join(timeout=600)
    assert not thread.is_alive() and result, "the grid did not finish after a worker was killed"
    # a task the killed worker had finished (its record written) but not yet returned is re-run and then
    # finds its record: done or skipped, never failed, never missing
    assert not result[0].failed and len(result[0].done) + len(result[0].skipped) == 8
    assert len(list(out2.glob("*.json"))) == 8 and not list(out2.glob("*.tmp"))
    _same({k: v for k, v in _records(out2).items() if "seed0" in k or "seed1" in k}, in_process)


def _boom(x):
    if x == 1:
        raise ValueError("task one fails\nwith a second line")
    return {"status": "done", "seconds": 0.0}


@pytest.mark.parametrize("workers", [None, 2])
def test_a_failing_task_is_one_line_and_the_others_go_on(workers):
    report = execute([Task(f"t{i}", _boom, {"x": i}) for i in range(3)], workers=workers, progress=False)
    assert report.done == ["t0", "t2"] or sorted(report.done) == ["t0", "t2"]
    assert report.failed == [("t1", "ValueError: task one fails / with a second line")]  # one line, nothing cut
    assert "2 done, 0 skipped, 1 failed" in report.summary()


def test_cli_compare_reports_failures_and_exits_nonzero(tmp_path, capsys):
    # cifar10 has no feature cache here: its task fails with one line, synthetic-dogs' runs go through
    rc = main(["compare", "--datasets", "synthetic-dogs,cifar10", "--methods", "kmeans", "--seeds", "1",
               "--records-dir", str(tmp_path), "--workers", "2"])
    cap = capsys.readouterr()
    assert rc == 2
    errors = [ln for ln in cap.err.splitlines() if ln.startswith("laic: error:")]
    assert len(errors) == 1 and "cifar10/kmeans/seed0" in errors[0] and "laic extract" in errors[0]
    assert "1 done, 0 skipped, 1 failed" in cap.out
    assert [p.name for p in tmp_path.glob("*.json")] == ["synthetic-dogs__kmeans__seed0.json"]


def test_grid_arguments_are_checked(capsys, tmp_path, monkeypatch):
    import laicpkg.run.grid

    monkeypatch.setattr(laicpkg.run.grid, "SCHEDULER_TIMEOUT", 3)
    for argv, needle in ((["--workers", "0"], "--workers"), (["--workers", "2", "--scheduler", "tcp://x:1"], "only one"),
                         (["--cluster-option", "cores"], "key=value"), (["--print-job-script"], "needs --cluster"),
                         (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach")):
        rc = main(["compare", "--seeds", "1", "--methods", "kmeans", "--datasets", "synthetic-dogs",
                   "--records-dir", str(tmp_path), *argv])
        err = capsys.readouterr().err.strip()
        assert rc == 2 and len(err.splitlines()) == 1 and needle in err, (argv, err)


@pytest.mark.parametrize("kind,marker,directive", [("slurm", "#SBATCH", "--cpus-per-task=2"),
                                                   ("pbs", "#PBS", "ncpus=2"),
                                                   ("sge", "#$", "-l h_rt=01:00:00"),
                                                   ("lsf", "#BSUB", "-n 2")])
def test_jobqueue_script(kind, marker, directive):
    c = make_jobqueue_cluster(kind, parse_cluster_options(["cores=2", "memory=8GB", "walltime=01:00:00",
                                                           "scheduler_host=127.0.0.1"]), submit=False)
    try:
        script = c.job_script()
    finally:
        c.close()
    assert marker in script and directive in script
    assert sys.executable in script and "distributed.cli.dask_worker tcp://127.0.0.1:" in script


def test_cli_prints_the_job_script(capsys):
    assert main(["compare", "--cluster", "slurm", "--cluster-option", "cores=4", "--cluster-option", "memory=16GB",
                 "--cluster-option", "walltime=02:00:00", "--cluster-option", "queue=gpu",
                 "--cluster-option", "scheduler_host=127.0.0.1", "--print-job-script"]) == 0
    out = capsys.readouterr().out
    assert "#SBATCH --cpus-per-task=4" in out and "#SBATCH -t 02:00:00" in out and "#SBATCH -p gpu" in out
