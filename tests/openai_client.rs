//! A real OpenAI client (the `openai` Python package) pointed at the
//! served agent's base URL holds a conversation, plain and streamed, and
//! sees the endpoint's errors as the API errors it knows, a wrong key
//! among them.

mod common;

use common::serving::{KEY, Served};

/// The client's side of the conversation: plain turns, a streamed turn,
/// a turn that refers to the earlier ones, and a bad request.
const CLIENT: &str = r#"
import sys, openai
client = openai.OpenAI(base_url=sys.argv[1] + "/v1", api_key=sys.argv[2], max_retries=0)
session = {"x-asterbot-session": "py"}

reply = client.chat.completions.create(model="asterbot", extra_headers=session,
    messages=[{"role": "user", "content": "what is 6 * 7?"}])
print("plain:", reply.choices[0].message.content)
print("finish:", reply.choices[0].finish_reason)

stream = client.chat.completions.create(model="asterbot", extra_headers=session, stream=True,
    messages=[{"role": "user", "content": "what is 2 + 3?"}])
print("streamed:", "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices))

reply = client.chat.completions.create(model="asterbot", extra_headers=session,
    messages=[{"role": "user", "content": "what did I say?"}])
print("history:", reply.choices[0].message.content)

try:
    client.chat.completions.create(model="asterbot", messages=[{"role": "assistant", "content": "x"}])
except openai.BadRequestError as error:
    print("error:", error.status_code, error.body["code"])

try:
    openai.OpenAI(base_url=sys.argv[1] + "/v1", api_key="wrong", max_retries=0).chat.completions.create(
        model="asterbot", messages=[{"role": "user", "content": "hi"}])
except openai.AuthenticationError as error:
    print("wrong key:", error.status_code, error.body["code"])
"#;

#[test]
fn the_openai_python_client_holds_a_conversation_plain_and_streamed() {
    let Some(mut python) = common::peer_python_module("openai", "pip install openai") else {
        return;
    };
    let agent = common::serving::serve_agent();
    let server = Served::asterbot(agent, &["--keyvalue", "memory"]);
    let output = python
        .args(["-c", CLIENT, &server.url, KEY])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "plain: The answer is 42.",
            "finish: stop",
            "streamed: The answer is 5.",
            "history: Before this, you said: \"what is 2 + 3?\".",
            "error: 400 invalid_messages",
            "wrong key: 401 invalid_api_key",
        ]
    );
}
