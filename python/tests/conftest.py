"""Shared fixtures: the checkout's root and the `physrc` command-line program."""

import os
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def physrc_cli():
    """A function running the `physrc` program with the given arguments.

    `cargo xtask test` passes the binary it built in PHYSRC_BIN; without it the program is
    built and run through `cargo run`, which is slow the first time.
    """
    binary = os.environ.get("PHYSRC_BIN")
    prefix = [binary] if binary else ["cargo", "run", "--quiet", "--bin", "physrc", "--"]

    def cli(*args):
        subprocess.run(prefix + [str(a) for a in args], cwd=ROOT, check=True)

    return cli


@pytest.fixture
def sigint_after():
    """A context manager that sends this process SIGINT (Ctrl-C) `seconds` after it is entered
    and yields a list receiving the monotonic time the signal was sent."""

    @contextmanager
    def after(seconds):
        sent = []

        def interrupt():
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)

        timer = threading.Timer(seconds, interrupt)
        timer.start()
        try:
            yield sent
        finally:
            timer.cancel()

    return after
