"""``actmine llm ...`` (serve the local model, check configured models) and
``actmine prompts copy`` (start a template override directory from the defaults)."""

from __future__ import annotations

import shutil
import signal
import threading
from pathlib import Path

import typer
from actmine.sandbox.errors import UserError

from ..config import load_settings
from .app import app
from .console import err, out
from .errors import handles_errors

llm_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Language models: the local server, checks.")
prompts_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Prompt templates.")
app.add_typer(llm_app, name="llm")
app.add_typer(prompts_app, name="prompts")


@llm_app.command("serve")
@handles_errors
def serve(port: int = typer.Option(8080, help="port on the host (0: any free port)"),
          host: str = typer.Option("127.0.0.1", help="address to listen on (loopback by default)"),
          threads: int | None = typer.Option(None, help="CPU threads for the model")):
    """Serve the bundled SmolLM2-135M-Instruct with llama.cpp's OpenAI-compatible server
    until Ctrl-C."""
    from ..llm.local_server import MODEL_ALIAS, LocalServer

    server = LocalServer(host=host, port=port, threads=threads)
    err.print("[dim]starting llama.cpp's server with SmolLM2-135M-Instruct...[/dim]")
    with server:
        out.print(f"serving {MODEL_ALIAS} at {server.base_url} (log: {server.log_path})",
                  soft_wrap=True)  # one line: scripts wait for it
        out.print("use it from a config:\n\n[[models]]\nname = \"smollm2\"\n"
                  f"base_url = \"{server.base_url}\"\nmax_tokens = 512\n", markup=False)
        out.print("Ctrl-C stops it.")
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        while not stopped.wait(1.0):
            if server.process is None or server.process.poll() is not None:
                code = server.process.returncode if server.process else None
                raise UserError(f"llama.cpp's server stopped by itself (exit code {code}); "
                                f"its log: {server.log_path}")
    out.print("stopped")


@llm_app.command("check")
@handles_errors
def check_models(config: Path = typer.Option(..., help="TOML config with [[models]]"),
                 ask: bool = typer.Option(True, help="also send one short request per model")):
    """Check every configured model: key variable set, endpoint reachable, one answer."""
    import anyio

    from ..llm.client import ChatClient, LLMError
    from ..llm.local_server import LocalServer

    settings = load_settings(config)
    if not settings.models:
        raise UserError(f"{config} configures no [[models]]; add one (see docs/configuration.md, Models)")

    async def check_all() -> None:
        for model in settings.models:
            server = LocalServer() if model.local else None
            if server is not None:
                await anyio.to_thread.run_sync(server.start)
            client = ChatClient(model, server.base_url if server else None)
            try:
                await client.check()
                if not ask:
                    out.print(f"{model.name}: reachable")
                    continue
                try:
                    result = await client.complete([{"role": "user", "content":
                                                     "Reply with the word ready."}])
                except LLMError as exc:
                    out.print(f"{model.name}: reachable, but the request failed: {exc.message}")
                    continue
                out.print(f"{model.name}: ok in {result.seconds:.1f}s, {result.input_tokens}+"
                          f"{result.output_tokens} tokens, ${result.cost_usd:.6f}: "
                          f"{' '.join(result.text.split())[:60]!r}")
            finally:
                await client.aclose()
                if server is not None:
                    server.stop()

    anyio.run(check_all)


@prompts_app.command("copy")
@handles_errors
def copy_prompts(directory: Path = typer.Argument(..., help="where to put editable copies")):
    """Copy the default templates into DIRECTORY; point [prompts] dir at it and edit."""
    from ..llm.prompts import TEMPLATES, default_dir, write_seeds

    directory.mkdir(parents=True, exist_ok=True)
    for name in TEMPLATES:
        target = directory / f"{name}.txt"
        if target.exists():
            out.print(f"kept {target} (exists)")
            continue
        shutil.copyfile(default_dir() / f"{name}.txt", target)
        out.print(f"wrote {target}")
    for path in write_seeds(directory / "seeds"):
        out.print(f"wrote {path}")
    out.print(f'now set\n\n[prompts]\ndir = "{directory}"\n\nin your config; files you delete '
              "fall back to the defaults")
