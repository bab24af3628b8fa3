"""Contract check against the official SDKs' types (see check.sh).

usage: check_contract.py CONTRACT_DIR FAKE_MODEL_SERVER_BINARY

Every TypedDict and pydantic model in `anthropic.types` and `openai.types` is
made strict (unknown fields are errors, no coercion), then:
  * the requests Reverie sent (CONTRACT_DIR/*_requests.json) must validate as
    MessageCreateParams / CompletionCreateParams;
  * the official clients, pointed at a standalone fake model server, must
    read its replies, and every reply and stream event must validate as the
    SDK's response types;
  * the SDKs' own requests, as the fake server recorded them, must validate
    too (so the validator itself is known to accept the real shape);
  * the same for the Claude Managed Agents bridge and endpoints (memory
    stores, sessions, dreams): see managed_contract.py.
Prints one line per failure and exits non-zero if there was any.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pydantic
import typing_extensions
from pydantic import ConfigDict, TypeAdapter, ValidationError

FAILURES: list[str] = []


def fail(message: str) -> None:
    FAILURES.append(message)
    print(f"FAIL {message}")


def make_strict(package) -> None:
    """Forbid unknown fields in every request TypedDict and response model."""
    models = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if not isinstance(obj, type) or not obj.__module__.startswith(package.__name__):
                continue
            if typing_extensions.is_typeddict(obj):
                obj.__pydantic_config__ = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
            elif issubclass(obj, pydantic.BaseModel):
                obj.model_config["extra"] = "forbid"
                models.append(obj)
    for model in models:
        model.model_rebuild(force=True)


def materialise(value):
    """Consume pydantic's lazy iterables so their items are validated too."""
    if isinstance(value, dict):
        return {k: materialise(v) for k, v in value.items()}
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    if isinstance(value, pydantic.BaseModel):
        return value
    if hasattr(value, "__iter__"):
        return [materialise(v) for v in value]
    return value


def validate(adapter: TypeAdapter, value, label: str) -> None:
    try:
        materialise(adapter.validate_python(value, strict=True))
    except ValidationError as e:
        first = e.errors()[0]
        fail(f"{label}: {e.error_count()} errors, first at {'.'.join(map(str, first['loc']))}: {first['msg']}")


def validate_json(adapter: TypeAdapter, text: str, label: str) -> None:
    """Strict, as JSON: RFC 3339 strings are accepted for datetime fields."""
    try:
        materialise(adapter.validate_json(text, strict=True))
    except ValidationError as e:
        first = e.errors()[0]
        fail(f"{label}: {e.error_count()} errors, first at {'.'.join(map(str, first['loc']))}: {first['msg']}")


def count_key(value, key: str) -> int:
    if isinstance(value, dict):
        return sum((k == key) + count_key(v, key) for k, v in value.items())
    if isinstance(value, list):
        return sum(count_key(v, key) for v in value)
    return 0


def check_anthropic_requests(requests: list[dict], source: str, check_headers: bool = True) -> None:
    from anthropic.types.message_create_params import (
        MessageCreateParamsNonStreaming,
        MessageCreateParamsStreaming,
    )

    streaming = TypeAdapter(MessageCreateParamsStreaming)
    whole = TypeAdapter(MessageCreateParamsNonStreaming)
    for i, r in enumerate(requests):
        label = f"{source} anthropic request {i}"
        if r["path"] != "/v1/messages":
            fail(f"{label}: path {r['path']}")
        headers = r["headers"] if check_headers else {}
        if check_headers and headers.get("anthropic-version") != "2023-06-01":
            fail(f"{label}: anthropic-version {headers.get('anthropic-version')!r}")
        if check_headers and "x-api-key" not in headers:
            fail(f"{label}: no x-api-key")
        if check_headers and not headers.get("content-type", "").startswith("application/json"):
            fail(f"{label}: content-type {headers.get('content-type')!r}")
        body = r["body"]
        if count_key(body, "cache_control") > 4:
            fail(f"{label}: more than 4 cache_control breakpoints")
        validate(streaming if body.get("stream") else whole, body, label)


def check_openai_requests(requests: list[dict], source: str) -> None:
    from openai.types.chat.completion_create_params import (
        CompletionCreateParamsNonStreaming,
        CompletionCreateParamsStreaming,
    )

    streaming = TypeAdapter(CompletionCreateParamsStreaming)
    whole = TypeAdapter(CompletionCreateParamsNonStreaming)
    for i, r in enumerate(requests):
        label = f"{source} openai request {i}"
        if not r["path"].endswith("/chat/completions"):
            fail(f"{label}: path {r['path']}")
        body = r["body"]
        validate(streaming if body.get("stream") else whole, body, label)


SCRIPT = {
    "rules": [
        {
            "when": {"last_user_contains": "weather"},
            "reply": {
                "content": [
                    {"type": "thinking", "thinking": "I should look it up.", "signature": "sig-1"},
                    {"type": "text", "text": "Looking it up."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                ],
                "usage": {"input_tokens": 20, "output_tokens": 9, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 7},
                "chunk_size": 3,
            },
        },
        {"when": {"last_user_contains": "busy"}, "reply": {"fault": {"kind": "rate_limited", "retry_after": "7"}}},
    ],
    "fallback": {"text": "Hello from the fake model server.", "chunk_size": 4},
}


def post_json(url: str, value) -> None:
    req = urllib.request.Request(url, data=json.dumps(value).encode(), headers={"content-type": "application/json"})
    urllib.request.urlopen(req).read()


def check_sdks_against_fake_server(binary: str) -> None:
    import anthropic
    import openai
    from anthropic.types import Message, RawMessageStreamEvent
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

    server = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline().strip()
        if not line.startswith("listening on http://127.0.0.1:"):
            fail(f"fake-model-server printed {line!r}")
            return
        url = line.removeprefix("listening on ")
        post_json(f"{url}/_fake/script", SCRIPT)

        client = anthropic.Anthropic(base_url=url, api_key="sk-contract", max_retries=0)
        tools = [{"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]

        raw = client.messages.with_raw_response.create(
            model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        )
        validate(TypeAdapter(Message), raw.http_response.json(), "fake server message")
        if raw.parse().content[0].text != "Hello from the fake model server.":
            fail("anthropic SDK read the wrong text")

        events = []
        stream = client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=100,
            tools=tools,
            thinking={"type": "enabled", "budget_tokens": 1024},
            messages=[{"role": "user", "content": "weather in Paris?"}],
            stream=True,
        )
        for event in stream:
            events.append(event.type)
            validate(TypeAdapter(RawMessageStreamEvent), event.to_dict(), f"fake server event {event.type}")
        for kind in ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]:
            if kind not in events:
                fail(f"fake server stream has no {kind}")

        with client.messages.stream(
            model="claude-haiku-4-5", max_tokens=100, tools=tools, messages=[{"role": "user", "content": "weather?"}]
        ) as s:
            final = s.get_final_message()
        kinds = [b.type for b in final.content]
        if kinds != ["thinking", "text", "tool_use"] or final.content[2].input != {"city": "Paris"}:
            fail(f"anthropic SDK assembled {kinds} from the fake stream")
        if final.content[0].signature != "sig-1" or final.stop_reason != "tool_use":
            fail("thinking signature or stop_reason lost")
        u = final.usage
        if (u.input_tokens, u.output_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens) != (20, 9, 5, 7):
            fail(f"usage {u}")

        try:
            client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "busy?"}])
            fail("a 429 was not raised")
        except anthropic.RateLimitError as e:
            if e.response.headers.get("retry-after") != "7" or e.body["error"]["type"] != "rate_limit_error":
                fail(f"429 envelope {e.body}")

        oa = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-contract", max_retries=0)
        raw = oa.chat.completions.with_raw_response.create(
            model="llama3.2", messages=[{"role": "user", "content": "weather?"}], tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
        )
        completion = raw.http_response.json()
        # `reasoning_content` is the extension llama.cpp, vLLM and DeepSeek use
        # for thinking; OpenAI's own types do not have it.
        completion["choices"][0]["message"].pop("reasoning_content", None)
        validate(TypeAdapter(ChatCompletion), completion, "fake server chat completion")
        done = raw.parse()
        call = done.choices[0].message.tool_calls[0]
        if call.function.name != "get_weather" or json.loads(call.function.arguments) != {"city": "Paris"}:
            fail(f"openai SDK read the tool call as {call}")
        text = ""
        usage = None
        for chunk in oa.chat.completions.create(
            model="llama3.2", messages=[{"role": "user", "content": "hi"}], stream=True, stream_options={"include_usage": True}
        ):
            validate(TypeAdapter(ChatCompletionChunk), chunk.to_dict(), "fake server chunk")
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
            usage = chunk.usage or usage
        if text != "Hello from the fake model server." or usage is None:
            fail(f"openai SDK streamed {text!r} with usage {usage}")

        recorded = json.load(urllib.request.urlopen(f"{url}/_fake/requests"))
        # The SDK authenticates its own way (and may send a newer
        # anthropic-version); only its bodies are checked.
        check_anthropic_requests([r for r in recorded if r["path"] == "/v1/messages"], "SDK", check_headers=False)
        check_openai_requests([r for r in recorded if r["path"].endswith("/chat/completions")], "SDK")
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    contract_dir, binary = Path(sys.argv[1]), sys.argv[2]
    import anthropic
    import openai

    make_strict(anthropic.types)
    make_strict(openai.types)
    sent = {name: json.loads((contract_dir / f"{name}_requests.json").read_text()) for name in ["anthropic", "openai"]}
    check_anthropic_requests(sent["anthropic"], "Reverie")
    check_openai_requests(sent["openai"], "Reverie")
    check_sdks_against_fake_server(binary)
    checked = len(sent["anthropic"]) + len(sent["openai"])

    # The Claude Managed Agents bridge: its requests, and the fake server's
    # memory store, session and dream endpoints through the official client.
    import managed_contract

    managed = json.loads((contract_dir / "managed_agents_requests.json").read_text())
    checked += managed_contract.check_requests(managed, "Reverie", fail, validate)
    managed_contract.check_sdk(binary, fail, validate, validate_json)
    if FAILURES:
        print(f"contract check: {len(FAILURES)} failures")
        return 1
    print(f"contract check: {checked} Reverie requests and the fake server's replies match anthropic {anthropic.__version__} / openai {openai.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
