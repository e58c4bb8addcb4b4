"""The OpenAI-compatible client against a real HTTP server on loopback that injects the
faults providers produce."""

from __future__ import annotations

import anyio
import pytest
from actmine.agent.config import ModelSettings
from actmine.agent.llm.client import ChatClient, EndpointError, LLMError, parse_retry_after
from actmine.agent.llm.local_server import free_port
from actmine.agent.llm.stub_server import StubServer

MESSAGES = [{"role": "user", "content": "write activation(x)"}]


def model(base_url: str, **overrides) -> ModelSettings:
    fields = dict(name="stub", base_url=base_url, timeout=1.0, retries=4,
                  backoff_initial=0.02, backoff_max=0.2, input_usd_per_mtok=1.0,
                  output_usd_per_mtok=4.0)
    return ModelSettings(**{**fields, **overrides})


def complete(settings: ModelSettings, messages=MESSAGES):
    async def go():
        client = ChatClient(settings)
        try:
            return await client.complete(messages)
        finally:
            await client.aclose()

    return anyio.run(go)


def test_completion_reports_text_tokens_and_cost():
    with StubServer() as stub:
        result = complete(model(stub.base_url))
    assert "def activation" in result.text and result.finish_reason == "stop"
    assert result.input_tokens > 0 and result.output_tokens > 0 and result.attempts == 1
    assert result.cost_usd == pytest.approx((result.input_tokens + 4 * result.output_tokens) / 1e6)
    assert result.faults == ()


def test_every_transient_fault_is_retried_and_counted():
    plan = ["rate_limited", "server_error", "hang", "drop", "invalid_json", "empty_choices"]
    with StubServer(faults=plan, retry_after=0.05, hang_seconds=5) as stub:
        result = complete(model(stub.base_url, retries=6))
        assert stub.requests == 7
    assert result.faults == ("rate_limited", "server_error", "timeout", "connection",
                             "invalid_json", "empty_choices")
    assert result.attempts == 7 and "def activation" in result.text


def test_retry_after_is_honoured():
    with StubServer(faults=["rate_limited"], retry_after=0.6) as stub:
        complete(model(stub.base_url, backoff_initial=0.01, backoff_max=5))
        gap = stub.arrivals[1] - stub.arrivals[0]
    assert gap >= 0.55  # the header said 0.6 s; backoff alone would have waited ~0.01 s


def test_truncated_answer_is_returned_and_counted():
    with StubServer(faults=["truncated"]) as stub:
        result = complete(model(stub.base_url))
    assert result.finish_reason == "length" and result.faults == ("truncated",)


def test_client_error_fails_fast_with_the_providers_message():
    with StubServer(faults=["bad_request"]) as stub:
        with pytest.raises(LLMError) as info:
            complete(model(stub.base_url, model="gpt-nonexistent"))
        assert stub.requests == 1  # never retried
    assert info.value.kind == "client_error"
    assert "model 'gpt-nonexistent' does not exist" in info.value.message


def test_retries_run_out_into_an_error_with_every_fault():
    with StubServer(faults=["server_error"] * 3) as stub:
        with pytest.raises(LLMError) as info:
            complete(model(stub.base_url, retries=2))
        assert stub.requests == 3
    assert info.value.faults == ("server_error",) * 3 and "gave up after 3" in info.value.message


def test_key_is_sent_from_the_named_variable(monkeypatch):
    monkeypatch.setenv("ACTMINE_TEST_KEY", "sekrit")
    with StubServer(api_key="sekrit") as stub:
        result = complete(model(stub.base_url, api_key_env="ACTMINE_TEST_KEY"))
    assert result.text


def check(settings: ModelSettings):
    async def go():
        client = ChatClient(settings)
        try:
            await client.check()
        finally:
            await client.aclose()

    anyio.run(go)


def test_start_up_check_names_the_missing_variable(monkeypatch):
    monkeypatch.delenv("ACTMINE_TEST_MISSING", raising=False)
    with StubServer() as stub, pytest.raises(EndpointError) as info:
        check(model(stub.base_url, api_key_env="ACTMINE_TEST_MISSING"))
    assert "ACTMINE_TEST_MISSING is not set" in str(info.value)


def test_start_up_check_reports_unreachable_endpoint_and_refused_key(monkeypatch):
    with pytest.raises(EndpointError, match="cannot reach"):
        check(model(f"http://127.0.0.1:{free_port()}/v1"))
    monkeypatch.setenv("ACTMINE_TEST_KEY", "wrong")
    with StubServer(api_key="right") as stub, pytest.raises(EndpointError, match="refused the key"):
        check(model(stub.base_url, api_key_env="ACTMINE_TEST_KEY"))


def test_retry_after_parses_seconds_and_dates():
    assert parse_retry_after("2") == 2.0 and parse_retry_after("0.5") == 0.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_request_body_carries_model_options_as_data():
    with StubServer() as stub:
        complete(model(stub.base_url, model="o4-mini", reasoning=True, max_tokens=2000,
                       extra={"reasoning_effort": "low"}, headers={"HTTP-Referer": "actmine"}))
        complete(model(stub.base_url, temperature=0.3, max_tokens=100))
        reasoning, plain = stub.bodies
    assert reasoning["model"] == "o4-mini" and reasoning["max_completion_tokens"] == 2000
    assert "temperature" not in reasoning and "max_tokens" not in reasoning
    assert reasoning["reasoning_effort"] == "low"
    assert reasoning["_headers"]["HTTP-Referer"] == "actmine"
    assert plain["temperature"] == 0.3 and plain["max_tokens"] == 100
