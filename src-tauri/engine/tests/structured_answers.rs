//! One structured answer from servers that support different forms, on the
//! fake server playing them as real local servers behave: a server that
//! constrains output with a JSON schema gets `response_format`; one that
//! refuses it gets `tool_choice: "required"`; one that also drops tools (a
//! model whose chat template cannot call tools) gets a prompt asking for
//! JSON, read tolerantly from prose. What worked is remembered per server
//! and model, so the next call goes straight to it.

mod provider_support;

use provider_support::*;
use reverie_engine::provider::structured::{self, Form};
use reverie_engine::provider::*;
use reverie_fake_model::{FakeModelServer, OpenAiLimits, Reply};
use serde_json::json;
use tokio_util::sync::CancellationToken;

fn verdict_request(model: &str) -> ModelRequest {
    let mut r = ModelRequest::new(model, vec![Message::user("Judge the answer.")]);
    r.system = Some("You grade answers.".into());
    r.tools = vec![Tool::new(
        "record_verdict",
        "Record the verdict.",
        json!({"type": "object", "properties": {"passed": {"type": "boolean"}}, "required": ["passed"]}),
    )];
    r
}

fn answer() -> Reply {
    Reply::tool_use("call_1", "record_verdict", json!({"passed": true}))
}

async fn ask(server: &FakeModelServer, model: &str) -> structured::StructuredReply {
    let provider = openai(server);
    structured::ask(
        &provider,
        &verdict_request(model),
        &CancellationToken::new(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_server_with_json_schema_gets_response_format() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(answer());
    let reply = ask(&server, "schema-model").await;
    assert_eq!(reply.form, Form::JsonSchema);
    assert_eq!(reply.input, Some(json!({"passed": true})));
    let body = &server.requests()[0].body;
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(
        body["response_format"]["json_schema"]["schema"]["required"],
        json!(["passed"])
    );
    assert!(body.get("tools").is_none(), "{body}");
}

#[tokio::test]
async fn a_server_refusing_json_schema_gets_a_required_tool_and_is_remembered() {
    let server = FakeModelServer::start().await.unwrap();
    server.set_openai_limits(OpenAiLimits {
        no_json_schema: true,
        ..OpenAiLimits::default()
    });
    server.push_reply(answer());
    server.push_reply(answer());
    let reply = ask(&server, "tools-model").await;
    assert_eq!(reply.form, Form::RequiredTool);
    assert_eq!(reply.input, Some(json!({"passed": true})));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "json_schema refused, then required");
    assert_eq!(requests[1].body["tool_choice"], "required");
    // Learned: the next ask goes straight to the required tool.
    let again = ask(&server, "tools-model").await;
    assert_eq!(again.form, Form::RequiredTool);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_model_without_tools_is_asked_for_json_and_read_from_prose() {
    let server = FakeModelServer::start().await.unwrap();
    server.set_openai_limits(OpenAiLimits {
        no_json_schema: true,
        no_required_tool_choice: true,
        no_tools: true,
        ..OpenAiLimits::default()
    });
    server.push_reply(answer());
    let reply = ask(&server, "plain-model").await;
    assert_eq!(reply.form, Form::JsonPrompt);
    assert_eq!(reply.input, Some(json!({"passed": true})));
    let requests = server.requests();
    let last = &requests.last().unwrap().body;
    assert!(
        last["messages"][0]["content"]
            .to_string()
            .contains("JSON Schema"),
        "{last}"
    );
    assert!(last.get("tools").is_none());
}

#[tokio::test]
async fn a_server_that_drops_tools_silently_falls_through_to_json() {
    // llama.cpp with a template that cannot call tools: `required` is
    // accepted, the tools are dropped, the model answers in prose.
    let server = FakeModelServer::start().await.unwrap();
    server.set_openai_limits(OpenAiLimits {
        no_json_schema: true,
        no_tools: true,
        ..OpenAiLimits::default()
    });
    server.push_reply(answer());
    let reply = ask(&server, "template-model").await;
    assert_eq!(
        reply.input,
        Some(json!({"passed": true})),
        "read from the prose answer"
    );
}

#[tokio::test]
async fn anthropic_forces_the_tool_by_name() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(answer());
    let provider = anthropic(&server);
    let reply = structured::ask(
        &provider,
        &verdict_request("claude-sonnet-4-5"),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(reply.form, Form::NamedTool);
    assert_eq!(
        server.requests()[0].body["tool_choice"]["name"],
        "record_verdict"
    );
}
