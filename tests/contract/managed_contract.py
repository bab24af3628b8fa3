"""Contract check for the Claude Managed Agents bridge (see check.sh).

Called by check_contract.py once the SDK types are strict:
  * the requests the bridge sent (CONTRACT_DIR/managed_agents_requests.json)
    must validate, body and query, as the `anthropic` package's beta param
    TypedDicts (MemoryStoreCreateParams, MemoryCreateParams,
    MemoryUpdateParams, MemoryDeleteParams, MemoryListParams,
    SessionCreateParams, DreamCreateParams, ...), and carry the
    `anthropic-beta` value the SDK itself sends for that resource;
  * the official client, pointed at a standalone fake model server, must
    call every memory store, memory, session, event and dream endpoint and
    parse the replies, each validated strictly as the SDK's response model;
    refused preconditions, taken paths, bad beta headers and missing keys
    must come back as the API's errors;
  * the SDK's own requests, as the fake server recorded them, must validate.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import subprocess
import typing
import urllib.error
import urllib.parse
import urllib.request

from pydantic import TypeAdapter


def sdk_beta(method) -> str:
    """The `anthropic-beta` value an SDK method sends by default."""
    found = re.search(r'extra_headers = \{"anthropic-beta": "([^"]+)"', inspect.getsource(method))
    return found.group(1) if found else "?"


def routes():
    from anthropic.resources.beta.dreams import Dreams
    from anthropic.resources.beta.memory_stores.memories import Memories
    from anthropic.resources.beta.memory_stores.memory_stores import MemoryStores
    from anthropic.resources.beta.sessions.events import Events
    from anthropic.resources.beta.sessions.sessions import Sessions
    from anthropic.types.beta import (
        DreamCreateParams,
        DreamListParams,
        MemoryStoreCreateParams,
        MemoryStoreListParams,
        SessionCreateParams,
    )
    from anthropic.types.beta.memory_stores import (
        MemoryCreateParams,
        MemoryDeleteParams,
        MemoryListParams,
        MemoryRetrieveParams,
        MemoryUpdateParams,
    )
    from anthropic.types.beta.sessions import EventListParams, EventSendParams

    store = r"/v1/memory_stores/(?P<memory_store_id>[^/]+)"
    # (method, path pattern, params TypedDict or None for "no params", SDK method for the beta)
    return [
        ("POST", r"/v1/memory_stores", MemoryStoreCreateParams, MemoryStores.create),
        ("GET", r"/v1/memory_stores", MemoryStoreListParams, MemoryStores.list),
        ("GET", store, None, MemoryStores.retrieve),
        ("DELETE", store, None, MemoryStores.delete),
        ("POST", store + "/archive", None, MemoryStores.archive),
        ("POST", store + "/memories", MemoryCreateParams, Memories.create),
        ("GET", store + "/memories", MemoryListParams, Memories.list),
        ("GET", store + "/memories/[^/]+", MemoryRetrieveParams, Memories.retrieve),
        ("POST", store + "/memories/[^/]+", MemoryUpdateParams, Memories.update),
        ("DELETE", store + "/memories/[^/]+", MemoryDeleteParams, Memories.delete),
        ("POST", r"/v1/sessions", SessionCreateParams, Sessions.create),
        ("GET", r"/v1/sessions/[^/]+", None, Sessions.retrieve),
        ("POST", r"/v1/sessions/[^/]+/events", EventSendParams, Events.send),
        ("GET", r"/v1/sessions/[^/]+/events", EventListParams, Events.list),
        ("POST", r"/v1/dreams", DreamCreateParams, Dreams.create),
        ("GET", r"/v1/dreams", DreamListParams, Dreams.list),
        ("GET", r"/v1/dreams/[^/]+", None, Dreams.retrieve),
        ("POST", r"/v1/dreams/[^/]+/cancel", None, Dreams.cancel),
        ("POST", r"/v1/dreams/[^/]+/archive", None, Dreams.archive),
    ]


QUERY_RENAMES = {"created_at[gte]": "created_at_gte", "created_at[lte]": "created_at_lte",
                 "created_at[gt]": "created_at_gt", "created_at[lt]": "created_at_lt"}


def typed_query(query: str | None, params) -> dict:
    """A query string as the TypedDict's values: ints, bools and lists typed."""
    hints = typing.get_type_hints(params) if params else {}
    out: dict = {}
    for key, value in urllib.parse.parse_qsl(query or "", keep_blank_values=True):
        key = key.removesuffix("[]")
        key = QUERY_RENAMES.get(key, key)
        hint = str(hints.get(key, ""))
        if "List[" in hint or "list[" in hint:
            out.setdefault(key, []).append(value)
        elif hint == "<class 'int'>":
            out[key] = int(value) if value.lstrip("-").isdigit() else value
        elif hint == "<class 'bool'>":
            out[key] = {"true": True, "false": False}.get(value, value)
        else:
            out[key] = value
    return out


def check_requests(requests: list[dict], source: str, fail, validate) -> int:
    table = routes()
    checked = 0
    for i, r in enumerate(requests):
        label = f"{source} managed request {i} ({r['method']} {r['path']})"
        match = next(
            ((m, p, params, sdk) for m, p, params, sdk in table
             if m == r["method"] and re.fullmatch(p, r["path"])),
            None,
        )
        if match is None:
            fail(f"{label}: not an endpoint of the SDK's beta resources")
            continue
        method, pattern, params, sdk_method = match
        headers = r["headers"]
        want = sdk_beta(sdk_method)
        sent = [b.strip() for b in headers.get("anthropic-beta", "").split(",")]
        if want not in sent:
            fail(f"{label}: anthropic-beta {headers.get('anthropic-beta')!r}, the SDK sends {want!r}")
        if not headers.get("anthropic-version"):
            fail(f"{label}: no anthropic-version")
        if "x-api-key" not in headers and "authorization" not in headers:
            fail(f"{label}: no x-api-key")
        body = r["body"] if isinstance(r["body"], dict) else {}
        if isinstance(r["body"], str) and r["body"].strip():
            fail(f"{label}: a body that is not JSON")
        value = dict(body)
        value.update(typed_query(r.get("query"), params))
        path_ids = re.fullmatch(pattern, r["path"]).groupdict()
        if params is None:
            if value:
                fail(f"{label}: sends {sorted(value)} but the SDK method takes no params")
        else:
            hints = typing.get_type_hints(params)
            # Path parameters the TypedDict lists (memory_store_id) are given too.
            value.update({k: v for k, v in path_ids.items() if k in hints})
            validate(TypeAdapter(params), value, label)
        checked += 1
    return checked


def post_json(url: str, value) -> None:
    req = urllib.request.Request(url, data=json.dumps(value).encode(), headers={"content-type": "application/json"})
    urllib.request.urlopen(req).read()


def plain_request(url: str, headers: dict, body=None) -> tuple[int, dict]:
    """A request without the SDK: (status, JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {**headers, **({"content-type": "application/json"} if data else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers)) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def check_sdk(binary: str, fail, validate, validate_json) -> None:
    import anthropic
    from anthropic.types.beta import (
        BetaDream,
        BetaManagedAgentsDeletedMemoryStore,
        BetaManagedAgentsMemoryStore,
        BetaManagedAgentsSession,
    )
    from anthropic.types.beta.memory_stores import (
        BetaManagedAgentsDeletedMemory,
        BetaManagedAgentsMemory,
        BetaManagedAgentsMemoryListItem,
    )
    from anthropic.types.beta.sessions import (
        BetaManagedAgentsSendSessionEvents,
        BetaManagedAgentsSessionEvent,
    )

    def check(model, raw, label):
        validate_json(TypeAdapter(model), raw.http_response.text, label)
        return raw.parse()

    server = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline().strip()
        if not line.startswith("listening on http://127.0.0.1:"):
            fail(f"fake-model-server printed {line!r}")
            return
        url = line.removeprefix("listening on ")
        client = anthropic.Anthropic(base_url=url, api_key="sk-contract", max_retries=0)
        beta = client.beta
        raw = beta.memory_stores.with_raw_response

        store = check(BetaManagedAgentsMemoryStore,
                      raw.create(name="Team notes", description="What the team knows", metadata={"team": "a"}),
                      "memory store create")
        check(BetaManagedAgentsMemoryStore, raw.retrieve(store.id), "memory store retrieve")
        listed = [s.id for s in beta.memory_stores.list(limit=1)]
        if store.id not in listed:
            fail(f"memory store list gave {listed}")

        mem = beta.memory_stores.memories.with_raw_response
        first = check(BetaManagedAgentsMemory, mem.create(store.id, path="/a.md", content="A"), "memory create")
        for path in ["/b.md", "/notes/c.md", "/notes/deep/d.md"]:
            beta.memory_stores.memories.create(store.id, path=path, content=path)
        paths = [m.path for m in beta.memory_stores.memories.list(store.id, limit=2)]
        if paths != ["/a.md", "/b.md", "/notes/c.md", "/notes/deep/d.md"]:
            fail(f"memories listed across pages as {paths}")
        page = beta.memory_stores.memories.with_raw_response.list(store.id, depth=1, view="full")
        for item in json.loads(page.http_response.text)["data"]:
            validate_json(TypeAdapter(BetaManagedAgentsMemoryListItem), json.dumps(item), "memory list item")
        kinds = [i.type for i in page.parse().data]
        if kinds != ["memory", "memory", "memory_prefix"]:
            fail(f"depth=1 listing gave {kinds}")
        got = check(BetaManagedAgentsMemory, mem.retrieve(first.id, memory_store_id=store.id), "memory retrieve")
        if got.content != "A" or got.content_sha256 != hashlib.sha256(b"A").hexdigest():
            fail(f"memory retrieve gave {got}")
        updated = check(BetaManagedAgentsMemory,
                        mem.update(first.id, memory_store_id=store.id, content="A2",
                                   precondition={"type": "content_sha256", "content_sha256": got.content_sha256}),
                        "memory update")
        if updated.content_sha256 != hashlib.sha256(b"A2").hexdigest():
            fail("memory update did not change the hash")
        try:
            beta.memory_stores.memories.update(first.id, memory_store_id=store.id, content="clobber",
                                               precondition={"type": "content_sha256", "content_sha256": got.content_sha256})
            fail("a stale precondition was accepted")
        except anthropic.ConflictError as e:
            if e.body["error"]["type"] != "memory_precondition_failed_error" or e.body["type"] != "error":
                fail(f"stale precondition envelope {e.body}")
        try:
            beta.memory_stores.memories.create(store.id, path="/b.md", content="again")
            fail("a taken path was accepted")
        except anthropic.ConflictError as e:
            if e.body["error"]["type"] != "memory_path_conflict_error":
                fail(f"taken path envelope {e.body}")
        try:
            beta.memory_stores.memories.create(store.id, path="/../x.md", content="x")
            fail("a path with '..' was accepted")
        except anthropic.BadRequestError as e:
            if e.body["error"]["type"] != "invalid_request_error":
                fail(f"bad path envelope {e.body}")
        try:
            beta.memory_stores.memories.delete(first.id, memory_store_id=store.id, expected_content_sha256="0" * 64)
            fail("a delete with a stale hash was accepted")
        except anthropic.ConflictError:
            pass
        check(BetaManagedAgentsDeletedMemory,
              mem.delete(first.id, memory_store_id=store.id, expected_content_sha256=updated.content_sha256),
              "memory delete")

        sess = beta.sessions.with_raw_response
        session = check(BetaManagedAgentsSession, sess.create(
            agent="agent_contract", environment_id="env_contract", title="Contract", metadata={"k": "v"},
            initial_events=[{"type": "user.message", "content": [{"type": "text", "text": "hello"}]}],
            resources=[{"type": "memory_store", "memory_store_id": store.id, "access": "read_only"}],
        ), "session create")
        check(BetaManagedAgentsSession, sess.retrieve(session.id), "session retrieve")
        check(BetaManagedAgentsSendSessionEvents, beta.sessions.events.with_raw_response.send(
            session.id, events=[{"type": "user.message", "content": [{"type": "text", "text": "more"}]}]),
            "events send")
        events = beta.sessions.events.with_raw_response.list(session.id)
        for event in json.loads(events.http_response.text)["data"]:
            validate_json(TypeAdapter(BetaManagedAgentsSessionEvent), json.dumps(event), f"event {event['type']}")
        types = [e.type for e in beta.sessions.events.list(session.id, limit=1)]
        if types != ["user.message", "agent.message", "user.message", "agent.message"]:
            fail(f"events listed as {types}")

        inputs = [{"type": "memory_store", "memory_store_id": store.id},
                  {"type": "sessions", "session_ids": [session.id]}]
        post_json(f"{url}/_fake/managed/dream_script", {
            "steps": ["pending", "running"],
            "outcome": {"kind": "completed", "write": {"/e.md": "E"}, "delete": ["/b.md"]},
            "usage": {"input_tokens": 100, "output_tokens": 10},
        })
        dreams = beta.dreams.with_raw_response
        dream = check(BetaDream, dreams.create(inputs=inputs, model="claude-opus-4-7", instructions="Tidy up."),
                      "dream create")
        seen = [dream.status]
        for _ in range(10):
            dream = check(BetaDream, dreams.retrieve(dream.id), "dream retrieve")
            seen.append(dream.status)
            if dream.status == "completed":
                break
        if seen != ["pending", "pending", "running", "completed"]:
            fail(f"dream went {seen}")
        out = {m.path for m in beta.memory_stores.memories.list(dream.outputs[0].memory_store_id)}
        if "/e.md" not in out or "/b.md" in out or dream.usage.input_tokens != 100:
            fail(f"dream output {out}, usage {dream.usage}")
        if {m.path for m in beta.memory_stores.memories.list(store.id)} != {"/b.md", "/notes/c.md", "/notes/deep/d.md"}:
            fail("a create_new dream changed its input store")
        check(BetaDream, dreams.archive(dream.id), "dream archive")

        post_json(f"{url}/_fake/managed/dream_script", {"outcome": {"kind": "failed", "error_type": "timeout", "message": "too long"}})
        failed = beta.dreams.create(inputs=inputs, model={"id": "claude-opus-4-7", "speed": "standard"})
        while failed.status not in ("completed", "failed", "canceled"):
            failed = beta.dreams.retrieve(failed.id)
        if failed.status != "failed" or failed.error is None or failed.error.type != "timeout":
            fail(f"scripted failure came back as {failed}")
        try:
            beta.dreams.cancel(failed.id)
            fail("canceling a failed dream was accepted")
        except anthropic.BadRequestError:
            pass
        post_json(f"{url}/_fake/managed/dream_script", {"outcome": {"kind": "stuck"}})
        stuck = beta.dreams.create(inputs=inputs, model="claude-opus-4-7",
                                   output_behavior={"type": "update_existing", "memory_store_id": store.id})
        try:
            beta.dreams.create(inputs=inputs, model="claude-opus-4-7",
                               output_behavior={"type": "update_existing", "memory_store_id": store.id})
            fail("two update_existing dreams on one store were accepted")
        except anthropic.ConflictError:
            pass
        canceled = check(BetaDream, dreams.cancel(stuck.id), "dream cancel")
        if canceled.status != "canceled":
            fail(f"cancel gave {canceled.status}")
        for d in json.loads(dreams.list(statuses=["canceled", "failed"]).http_response.text)["data"]:
            validate_json(TypeAdapter(BetaDream), json.dumps(d), "dream list item")
        if [d.status for d in beta.dreams.list(statuses=["canceled"])] != ["canceled"]:
            fail("dream list did not filter by status")
        check(BetaManagedAgentsDeletedMemoryStore, raw.delete(store.id), "memory store delete")

        # Like the API: the beta header and the key are required.
        status, body = plain_request(f"{url}/v1/dreams", {"x-api-key": "k", "anthropic-version": "2023-06-01"})
        if status != 400 or body["error"]["type"] != "invalid_request_error":
            fail(f"no beta header gave {status} {body}")
        status, body = plain_request(f"{url}/v1/memory_stores", {"anthropic-version": "2023-06-01", "anthropic-beta": "agent-memory-2026-07-22"})
        if status != 401 or body["error"]["type"] != "authentication_error":
            fail(f"no key gave {status} {body}")
        status, body = plain_request(f"{url}/v1/memory_stores",
                                     {"x-api-key": "k", "anthropic-version": "2023-06-01", "anthropic-beta": "agent-memory-2026-07-22"},
                                     {"name": "x", "colour": "red"})
        if status != 400 or "colour" not in body["error"]["message"]:
            fail(f"an unknown field gave {status} {body}")

        recorded = json.load(urllib.request.urlopen(f"{url}/_fake/requests"))
        sdk = [r for r in recorded if r["path"].startswith(("/v1/memory_stores", "/v1/sessions", "/v1/dreams"))
               and r["headers"].get("authorization") == "Bearer sk-contract"]
        check_requests(sdk, "SDK", fail, validate)
    finally:
        server.terminate()
        server.wait(timeout=10)
