"""`reviewapp serve`, the production server command, as an operator starts it: it migrates nothing itself, serves
pages and takes SDK batches on the port it was given."""
import gzip
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(*args: str, env: dict) -> str:
    done = subprocess.run([str(BIN / "reviewapp"), *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cli_env(database: Path) -> dict[str, str]:
    """The environment of an operator's command on a SQLite file of its own (not the test run's database)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "serve-test"}
    env.pop("TEST_DATABASE_URL", None)
    return env


@pytest.fixture
def server(tmp_path):
    """A fresh SQLite database set up with the CLI, and `reviewapp serve` on it (two workers)."""
    env = cli_env(tmp_path / "serve.sqlite")
    run("init-db", env=env)
    token = run("create-project", "Served", env=env).splitlines()[1].split(": ")[1]
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(BIN / "reviewapp"), "serve", "--port", str(port), "--workers", "2"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=output)
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text()[-2000:]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}", token
    process.terminate()
    process.wait(timeout=30)


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=gzip.compress(json.dumps(body).encode()), method="POST",
                                     headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_answers_pages_and_takes_concurrent_batches(server):
    base, token = server
    with urllib.request.urlopen(f"{base}/login", timeout=30) as response:
        assert response.status == 200 and b"Sign in" in response.read()

    def batch(n: int) -> tuple[int, dict]:
        events = [{"event": "$ai_generation", "uuid": str(uuid.uuid4()), "distinct_id": "ops",
                   "properties": {"$ai_trace_id": f"served-{n}", "$ai_model": "gpt-4o-mini",
                                  "$ai_input_tokens": 10, "$ai_output_tokens": 5}} for _ in range(20)]
        return post(f"{base}/batch/", {"api_key": token, "batch": events})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(batch, range(16)))
    assert answers == [(200, {"status": 1})] * 16
    assert post(f"{base}/batch/", {"api_key": "phc_wrong", "batch": []})[0] == 401


def test_a_served_app_is_frozen_for_the_garbage_collector(tmp_path):
    """Built to serve (by `reviewapp serve` or `make run`'s `flask run`), the app freezes what the process holds
    for the garbage collector: a full collection then rescans only what requests made since, not the 150,000-odd
    objects of the modules and the app, a pause that would otherwise land on whichever request set it off."""
    env = cli_env(tmp_path / "frozen.sqlite")
    code = ("import gc; from reviewapp import create_app; create_app(); "
            "print(gc.get_freeze_count(), len(gc.get_objects()))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    frozen, still_scanned = map(int, done.stdout.split())
    assert frozen > 50_000
    assert still_scanned < 1_000
