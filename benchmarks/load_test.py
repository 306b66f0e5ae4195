"""Load test of the Space's /predict endpoint through gradio_client: N requests, C at a time.

    python benchmarks/load_test.py                                   # starts the Space app itself, on a free port
    python benchmarks/load_test.py --url http://127.0.0.1:7860/      # a running app (local or a Space URL)
    python benchmarks/load_test.py --models outputs/demo-lstm,outputs/demo-cnn --requests 500 --concurrency 50
    python benchmarks/load_test.py --via rest                        # plain HTTP instead of gradio_client
    python benchmarks/load_test.py --soak 600 --concurrency 64 --models outputs/demo-lstm,outputs/demo-cnn

Prints p50 / p95 / p99 latency (seconds from submitting a request to its result, queueing included), requests per
second and the number of failures; exits 1 if any request failed.

--soak SECONDS: instead, every client calls /predict, /explain, /compare (every model) and /batch (a small CSV) in
turn until SECONDS have passed or --requests calls were made (on loopback only: the app this script starts); prints
requests served, errors, p50 / p99 per endpoint and the app's resident memory after warm-up and at the end. A call
without an answer after --timeout seconds counts as an error, so the soak ends within SECONDS + --timeout.
"""

import argparse
import itertools
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from gradio_client import Client, handle_file

APP = ["-m", "seqclf_hf.space.app"]  # the packaged Space app, as `seqclf-hf space` serves it
WARM_UP_TIMEOUT = 120  # seconds for a warm-up call: before the clock, on a busy machine, the first calls are slow
JOIN_SLACK = 15  # seconds past a call's timeout for gradio_client to give the call up (its cancel waits up to 5 s)
QUESTIONS = [
    "Who discovered penicillin?",
    "How many bones are in the human hand?",
    "What does the abbreviation FIFA stand for?",
    "Where is Lake Titicaca?",
    "Why is the sky blue?",
    "What breed of dog is Scooby-Doo?",
    "When was the first email sent?",
    "Which city hosted the 1992 Summer Olympics?",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_server(process: subprocess.Popen, url: str, timeout: float, describe_failure) -> None:
    """Return once `url` answers 200; raise RuntimeError (with `describe_failure()`) if the app dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Space app exited with {process.returncode}:\n{describe_failure()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    process.kill()
    raise RuntimeError(f"the Space app did not answer within {timeout:.0f} s:\n{describe_failure()}")


def start_app(models: str | None, timeout: float = 300) -> tuple[subprocess.Popen, str]:
    """The Space app on a free loopback port, once it answers (importing torch and gradio takes 2 minutes on a busy
    2-core machine)."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    if models:
        env["SEQCLF_MODELS"] = models
    # The app's log goes to a file, not a pipe: nobody reads a pipe while the app serves, and once 64 KiB of
    # progress bars fill it every worker blocks on its next write and every call waits for ever.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, *APP], env=env, stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}/"
        wait_for_server(process, url, timeout, lambda: read_from_start(log))
    return process, url


def read_from_start(log) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


def stop_app(process: subprocess.Popen) -> None:
    """Stop the app; kill it if it has not stopped after 10 s (a worker stuck in a call keeps it alive)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


class RestClient:
    """The same call through Gradio's plain REST API (POST the inputs, read the result from the event stream):
    far less work on the client side than gradio_client, so the figures say more about the server."""

    def __init__(self, url: str):
        self.base = url.rstrip("/") + "/gradio_api/call"
        self.http = httpx.Client(timeout=120)
        info = self.http.get(url.rstrip("/") + "/gradio_api/info").raise_for_status().json()
        self.parameters = {name: spec["parameters"] for name, spec in info["named_endpoints"].items()}

    def predict(self, *inputs, api_name: str):
        # The REST API wants every input: fill the ones left out with their defaults, as gradio_client does.
        inputs = [*inputs, *(p["parameter_default"] for p in self.parameters[api_name][len(inputs) :])]
        endpoint = f"{self.base}/{api_name.lstrip('/')}"
        event_id = self.http.post(endpoint, json={"data": list(inputs)}).raise_for_status().json()["event_id"]
        event = None
        with self.http.stream("GET", f"{endpoint}/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    if event == "error":
                        raise RuntimeError(line)
                    return json.loads(line.split(":", 1)[1])
        raise RuntimeError("the event stream ended without a result")

    def close(self):
        self.http.close()


def run(url: str, requests: int, concurrency: int, model: str | None, via: str = "gradio_client") -> dict:
    """`requests` calls of /predict from `concurrency` threads, each with its own client.

    One client per thread: a single gradio_client.Client shared by many threads loses about 1 request in 100 to a
    race in the client (a new job registered on an event stream the server is closing -> CancelledError).
    """
    extra = (model,) if model else ()

    def connect(_):
        return Client(url, verbose=False) if via == "gradio_client" else RestClient(url)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:  # connect (and warm up) every client first
        clients = list(pool.map(connect, range(concurrency)))
    for client in clients:
        client.predict(QUESTIONS[0], *extra, api_name="/predict")

    todo = queue.SimpleQueue()
    for index in range(requests):
        todo.put(index)
    results: list[tuple[bool, float, str]] = []
    lock = threading.Lock()

    def worker(client: Client) -> None:
        while True:
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            try:
                label, _ = client.predict(QUESTIONS[index % len(QUESTIONS)], *extra, api_name="/predict")
                ok = bool(label and label.get("confidences"))
                result = (ok, time.perf_counter() - started, "" if ok else f"empty answer {label!r}")
            except Exception as error:  # a load test counts failures rather than stopping at the first
                result = (False, time.perf_counter() - started, f"{type(error).__name__}: {error}")
            with lock:
                results.append(result)

    threads = [threading.Thread(target=worker, args=(client,)) for client in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    latencies = sorted(seconds for _, seconds, _ in results)
    errors = [message for ok, _, message in results if not ok]
    return {
        "requests": requests,
        "concurrency": concurrency,
        "failures": len(errors),
        "first_error": errors[0] if errors else "",
        "seconds": elapsed,
        "requests_per_second": requests / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def resident_mb(pid: int) -> float:
    """The resident memory of process `pid` (Linux), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def answer(client: Client, name: str, inputs: tuple, timeout: float):
    """`client.predict(*inputs, api_name=name)` that waits at most `timeout` seconds (predict itself waits for ever
    for an answer that never comes); raises TimeoutError after cancelling the call."""
    job = client.submit(*inputs, api_name=name)
    try:
        return job.result(timeout=timeout)
    except TimeoutError:
        job.cancel()
        raise TimeoutError(f"no answer within {timeout:.0f} s") from None


def soak_calls(names: list[str], upload: str):
    """The soak's mix, in turn: (endpoint, inputs) for classify, explain, compare (every model) and batch."""
    for index in itertools.count():
        question, model = QUESTIONS[index % len(QUESTIONS)], names[index % len(names)]
        yield from [
            ("/predict", (question, model)),
            ("/explain", (question, model)),
            ("/compare", (question, names)),
            ("/batch", (handle_file(upload), "", model)),
        ]


def soak(
    process: subprocess.Popen, url: str, names: list[str], seconds: float, limit: int, clients: int, timeout: float
) -> dict:
    """`clients` gradio_client clients calling the mix of `soak_calls` until `seconds` pass or `limit` calls were
    made, each call waiting at most `timeout` seconds; per endpoint the calls, errors and latencies, and the app's
    resident memory after warm-up and at the end. Returns within about `seconds` + `timeout` of the warm-up's end."""
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write("text\n" + "".join(f"{question}\n" for question in QUESTIONS))
    # Connecting and warming up 64 clients at once times out on a busy machine: a few at a time, before the clock.
    with ThreadPoolExecutor(max_workers=8) as pool:
        connected = list(pool.map(lambda _: Client(url, verbose=False, httpx_kwargs={"timeout": 120}), range(clients)))
        warm_up = list(itertools.islice(soak_calls(names, handle.name), 4))
        list(pool.map(lambda client: [answer(client, *call, WARM_UP_TIMEOUT) for call in warm_up], connected))
    warm_mb, calls, lock = resident_mb(process.pid), itertools.count(), threading.Lock()
    results: dict[str, list[tuple[bool, float]]] = {name: [] for name, _ in warm_up}
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def worker(client: Client, offset: int) -> None:
        mix = itertools.islice(soak_calls(names, handle.name), offset, None)
        # The clock is read before the next call is taken: a client given up on leaves the upload alone once the
        # soak has deleted it.
        while time.monotonic() < deadline and next(calls) < limit:
            name, inputs = next(mix)
            started = time.perf_counter()
            try:
                answer(client, name, inputs, timeout)
                ok = True
            except Exception as error:  # counted, not fatal: the soak measures how often it happens
                ok = False
                with lock:
                    errors.append(f"{name}: {type(error).__name__}: {error}")
            with lock:
                results[name].append((ok, time.perf_counter() - started))

    # Daemon threads joined with a bound: a client stuck where no timeout reaches cannot keep the soak (or Python's
    # exit) waiting; it is counted as an error.
    threads = [threading.Thread(target=worker, args=(client, i), daemon=True) for i, client in enumerate(connected)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline + timeout + JOIN_SLACK - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    errors += [f"a client still in a call {JOIN_SLACK} s after its timeout"] * stuck
    elapsed, end_mb = time.perf_counter() - started, resident_mb(process.pid)
    for client in connected:
        client.close()
    Path(handle.name).unlink()
    endpoints = {}
    for name, outcomes in results.items():
        latencies = sorted(seconds for _, seconds in outcomes)
        endpoints[name] = {
            "calls": len(outcomes),
            "errors": sum(not ok for ok, _ in outcomes),
            "p50_ms": percentile(latencies, 0.50) * 1000 if latencies else None,
            "p99_ms": percentile(latencies, 0.99) * 1000 if latencies else None,
        }
    served = sum(endpoint["calls"] - endpoint["errors"] for endpoint in endpoints.values())
    return {
        "seconds": elapsed,
        "clients": clients,
        "served": served,
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "endpoints": endpoints,
        "rss_after_warm_up_mb": warm_mb,
        "rss_at_end_mb": end_mb,
        "rss_growth": end_mb / warm_mb - 1,
    }


def print_soak(stats: dict) -> None:
    print(
        f"soak: {stats['served']} requests served, {stats['errors']} errors, {stats['clients']} clients, "
        f"{stats['seconds']:.0f} s" + (f" (first error: {stats['first_error']})" if stats["errors"] else "")
    )
    for name, endpoint in stats["endpoints"].items():
        print(
            f"  {name:<9} {endpoint['calls']:>6} calls  {endpoint['errors']} errors  "
            f"p50 {endpoint['p50_ms'] or 0:.0f} ms  p99 {endpoint['p99_ms'] or 0:.0f} ms"
        )
    print(
        f"  resident memory: {stats['rss_after_warm_up_mb']:.0f} MiB after warm-up, {stats['rss_at_end_mb']:.0f} MiB "
        f"at the end ({stats['rss_growth']:+.1%})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running app; without it the Space app is started on a free port")
    parser.add_argument("--models", help="SEQCLF_MODELS for the app this script starts (default: the app's own)")
    parser.add_argument("--model", help="the model to call (default: the app's first)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--via",
        choices=("gradio_client", "rest"),
        default="gradio_client",
        help="the client library (default: %(default)s)",
    )
    parser.add_argument("--soak", type=float, metavar="SECONDS", help="the soak mix for SECONDS (see above)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=60,
        metavar="SECONDS",
        help="--soak: a call without an answer after SECONDS counts as an error (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.soak:
        return main_soak(args)

    process = None
    url = args.url
    if url is None:
        try:
            process, url = start_app(args.models)
        except RuntimeError as error:
            sys.exit(str(error))
    try:
        stats = run(url, args.requests, args.concurrency, args.model, args.via)
    finally:
        if process is not None:
            stop_app(process)
    print(
        f"{stats['requests']} requests to /predict via {args.via}, {stats['concurrency']} at a time, "
        f"in {stats['seconds']:.2f} s\n"
        f"  throughput  {stats['requests_per_second']:.1f} requests/s\n"
        f"  latency     p50 {stats['p50_ms']:.0f} ms   p95 {stats['p95_ms']:.0f} ms   p99 {stats['p99_ms']:.0f} ms   "
        f"mean {stats['mean_ms']:.0f} ms   max {stats['max_ms']:.0f} ms\n"
        f"  failures    {stats['failures']}" + (f" (first: {stats['first_error']})" if stats["failures"] else "")
    )
    return 1 if stats["failures"] else 0


def main_soak(args) -> int:
    """--soak: the app this script starts over --models, on loopback; exits 1 on any error."""
    if args.url or not args.models:
        sys.exit("--soak starts the app itself on loopback: give --models (two or more), not --url.")
    names = [Path(source).name for source in args.models.split(",")]
    try:
        process, url = start_app(args.models)
    except RuntimeError as error:
        sys.exit(str(error))
    try:
        stats = soak(process, url, names, args.soak, args.requests, args.concurrency, args.timeout)
    except TimeoutError as error:
        sys.exit(f"the warm-up failed: {error}")
    finally:
        stop_app(process)
    print_soak(stats)
    return 1 if stats["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
