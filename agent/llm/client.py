"""OpenAI-compatible chat completions over httpx: OpenAI, Gemini's OpenAI endpoint,
OpenRouter, vLLM, Ollama and llama.cpp's server all speak this one protocol.

Transient faults (429 honouring Retry-After, 5xx, timeouts, dropped connections, bodies
that are not JSON, empty choices) are retried by tenacity with jittered exponential
backoff and a cap; any other 4xx fails at once with the provider's own message. Every
fault is recorded on the result (or on the final error), so a run can count them.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from dataclasses import dataclass

import anyio
import httpx
from actmine.sandbox.errors import UserError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from tenacity.wait import wait_base

from ..config import ModelSettings

MAX_BODY_BYTES = 4 * 1024 * 1024  # a chat completion is kilobytes; more is a broken server
# 429 and 408 (the server timed the request out: a timeout); any other 4xx fails at once.
RETRYABLE_STATUS = frozenset({408, 429})
FAULT_KINDS = ("rate_limited", "server_error", "timeout", "connection", "invalid_json",
               "empty_choices", "truncated", "client_error")


class EndpointError(UserError):
    """A model that cannot be used at all (missing key, unreachable): one line for the user."""


@dataclass(frozen=True)
class ChatResult:
    text: str
    finish_reason: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: float
    seconds: float
    attempts: int
    faults: tuple[str, ...]  # transient faults survived on the way, plus "truncated"
    tokens_estimated: bool = False


class LLMError(Exception):
    """The request failed for good (retries exhausted, or a 4xx that retrying cannot fix)."""

    def __init__(self, kind: str, message: str, faults: tuple[str, ...], seconds: float):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.faults = faults
        self.seconds = seconds


class _Transient(Exception):
    def __init__(self, kind: str, detail: str, retry_after: float | None = None):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after


class _WaitRetryAfter(wait_base):
    """The server's Retry-After when it sent one (capped), jittered backoff otherwise."""

    def __init__(self, fallback: wait_base, cap: float):
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.cap)
        return self.fallback(retry_state)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds (some servers send fractions) or an
    HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def provider_message(body: bytes | str, limit: int = 300) -> str:
    """The human part of an error body: OpenAI's {"error": {"message"}}, FastAPI's
    {"detail"}, or the text itself."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error", data.get("detail"))
        if isinstance(err, dict):
            err = err.get("message") or json.dumps(err)
        if err:
            text = str(err)
    text = " ".join(text.split())
    return text[:limit] or "(empty body)"


class ChatClient:
    """One model's endpoint. Cheap to create; share one per model for connection reuse."""

    def __init__(self, settings: ModelSettings, base_url: str | None = None,
                 on_fault=None):
        self.settings = settings
        self.base_url = (base_url or settings.base_url).rstrip("/")
        self.on_fault = on_fault  # callback(model_name, kind, detail, wait_seconds)
        key = os.environ.get(settings.api_key_env) if settings.api_key_env else None
        headers = {**settings.headers, **({"Authorization": f"Bearer {key}"} if key else {})}
        limits = httpx.Limits(max_connections=settings.max_in_flight,
                              max_keepalive_connections=settings.max_in_flight)
        self._http = httpx.AsyncClient(headers=headers, limits=limits,
                                       timeout=httpx.Timeout(settings.timeout,
                                                             connect=min(10.0, settings.timeout)))

    async def aclose(self) -> None:
        await self._http.aclose()

    # -------------------------------------------------------------- start-up
    async def check(self) -> None:
        """Fail at start-up, not mid-run: the key variable is set and the endpoint answers."""
        s = self.settings
        if s.api_key_env and not os.environ.get(s.api_key_env):
            raise EndpointError(f"model '{s.name}': environment variable {s.api_key_env} is not "
                                f"set; export it (the config names the variable, never the key)")
        url = f"{self.base_url}/models"
        try:
            response = await self._http.get(url, timeout=min(10.0, s.timeout))
        except httpx.TimeoutException:
            raise EndpointError(f"model '{s.name}': {self.base_url} did not answer within "
                                f"{min(10.0, s.timeout):.0f}s; check base_url") from None
        except httpx.TransportError as exc:
            raise EndpointError(f"model '{s.name}': cannot reach {self.base_url} "
                                f"({_describe(exc)}); check base_url or start the server") from None
        if response.status_code in (401, 403):
            raise EndpointError(f"model '{s.name}': {self.base_url} refused the key "
                                f"(HTTP {response.status_code}: {provider_message(response.content)}); "
                                f"check {s.api_key_env or 'api_key_env'}")
        # 404/405 (no /models route) and 5xx (transient) still prove the server is there.

    # ------------------------------------------------------------ completion
    async def complete(self, messages: list[dict]) -> ChatResult:
        s = self.settings
        body = {"model": s.model_id, "messages": messages}
        if s.reasoning:  # o-series and gpt-5 refuse max_tokens and any temperature but 1
            body["max_completion_tokens"] = s.max_tokens
        else:
            body.update(max_tokens=s.max_tokens, temperature=s.temperature)
        body.update(s.extra)
        faults: list[str] = []
        started = time.monotonic()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(s.retries + 1),
            wait=_WaitRetryAfter(wait_exponential(multiplier=s.backoff_initial,
                                                  max=s.backoff_max)
                                 + wait_random(0, s.backoff_initial), s.backoff_max),
            retry=retry_if_exception_type(_Transient),
            sleep=anyio.sleep,
            before_sleep=lambda rs: self._report(rs),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        data = await self._post(body)
                    except _Transient as exc:
                        faults.append(exc.kind)
                        raise
                    attempts = attempt.retry_state.attempt_number
        except _Transient as exc:
            raise LLMError(exc.kind, f"gave up after {len(faults)} attempts; last: "
                           f"{exc.kind}: {exc.detail}", tuple(faults),
                           time.monotonic() - started) from None
        except LLMError as exc:
            raise LLMError(exc.kind, exc.message, (*faults, exc.kind),
                           time.monotonic() - started) from None
        return self._result(data, body, tuple(faults), attempts, time.monotonic() - started)

    def _report(self, retry_state: RetryCallState) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if self.on_fault and isinstance(exc, _Transient):
            wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
            self.on_fault(self.settings.name, exc.kind, exc.detail, wait)

    async def _post(self, body: dict) -> dict:
        url = f"{self.base_url}/chat/completions"
        try:
            # fail_after bounds the whole request: a server trickling bytes must not hang us.
            with anyio.fail_after(self.settings.timeout):
                async with self._http.stream("POST", url, json=body) as response:
                    raw = await _read_capped(response)
        except (TimeoutError, httpx.TimeoutException):
            raise _Transient("timeout", f"no answer within {self.settings.timeout:g}s") from None
        except httpx.TransportError as exc:
            raise _Transient("connection", _describe(exc)) from None
        status = response.status_code
        if status == 429 or status in RETRYABLE_STATUS:
            raise _Transient("rate_limited" if status == 429 else "server_error",
                             f"HTTP {status}: {provider_message(raw)}",
                             parse_retry_after(response.headers.get("retry-after")))
        if status >= 500:
            raise _Transient("server_error", f"HTTP {status}: {provider_message(raw)}",
                             parse_retry_after(response.headers.get("retry-after")))
        if status >= 400:
            raise LLMError("client_error", f"HTTP {status} from {self.settings.name}: "
                           f"{provider_message(raw)}", (), 0.0)
        try:
            data = json.loads(raw)
        except ValueError:
            raise _Transient("invalid_json", f"response is not JSON: {raw[:80]!r}") from None
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices:
            raise _Transient("empty_choices", "response has no choices")
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str) or not content.strip():
            raise _Transient("empty_choices", "the first choice has no text")
        return data

    def _result(self, data: dict, body: dict, faults: tuple[str, ...], attempts: int,
                seconds: float) -> ChatResult:
        choice = data["choices"][0]
        text = choice["message"]["content"]
        finish = choice.get("finish_reason")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        tin, tout = usage.get("prompt_tokens"), usage.get("completion_tokens")
        estimated = not (isinstance(tin, int) and isinstance(tout, int))
        if estimated:  # some servers omit usage; ~4 characters per token is the usual rule
            tin = sum(len(m["content"]) for m in body["messages"]) // 4
            tout = len(text) // 4
        if finish == "length":
            faults = (*faults, "truncated")
        return ChatResult(text, finish, tin, tout, self.settings_cost(tin, tout), seconds,
                          attempts, faults, estimated)

    def settings_cost(self, input_tokens: int, output_tokens: int) -> float:
        s = self.settings
        return (input_tokens * s.input_usd_per_mtok + output_tokens * s.output_usd_per_mtok) / 1e6


async def _read_capped(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _Transient("invalid_json", f"response body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _describe(exc: Exception) -> str:
    text = str(exc) or exc.__class__.__name__
    return " ".join(text.split())[:160]
