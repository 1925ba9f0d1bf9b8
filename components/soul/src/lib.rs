//! `soul`: the agent's persona. The file `ASTERBOT_SOUL_FILE` (default
//! `/state/soul/persona.md`) becomes the "Persona" section of the prompt; without
//! it a built-in persona is used. The tool `persona_update` lets the agent
//! rewrite the file (atomically: temporary file, then rename).

use asterbot_sdk::worlds::tools_and_context::exports::asterbot::agent::context::Guest as ContextGuest;
use asterbot_sdk::worlds::tools_and_context::exports::asterbot::agent::tools::Guest as ToolsGuest;
use documents::{Section, ToolSpec};
use std::path::PathBuf;

/// Environment variable naming the persona file.
const FILE_ENV: &str = "ASTERBOT_SOUL_FILE";

/// The persona file when `ASTERBOT_SOUL_FILE` is not set.
const DEFAULT_FILE: &str = "/state/soul/persona.md";

/// The persona used until a file exists.
const DEFAULT_PERSONA: &str =
    "You are asterbot: concise, friendly and honest about what you do not know.";

/// Longest persona accepted, in bytes.
const MAX_PERSONA: usize = 16 * 1024;

const TOOL: &str = "persona_update";

struct Soul;

fn file() -> PathBuf {
    PathBuf::from(std::env::var(FILE_ENV).unwrap_or_else(|_| DEFAULT_FILE.to_string()))
}

/// The persona text: the file, else the built-in one.
fn persona() -> String {
    match std::fs::read_to_string(file()) {
        Ok(text) if !text.trim().is_empty() => text.trim().to_string(),
        _ => DEFAULT_PERSONA.to_string(),
    }
}

/// The argument of `persona_update`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Update {
    persona: String,
}

fn update(arguments: &str) -> Result<String, String> {
    let update: Update = serde_json::from_str(arguments)
        .map_err(|e| format!("invalid arguments for tool `{TOOL}`: {e}"))?;
    if update.persona.trim().is_empty() || update.persona.len() > MAX_PERSONA {
        return Err(format!(
            "the persona must be 1 to {MAX_PERSONA} bytes of text"
        ));
    }
    let path = file();
    let temporary = path.with_extension("md.partial");
    if let Some(folder) = path.parent() {
        // Its own folder, which a recipe can grant alone (`/state/soul`).
        let _ = std::fs::create_dir_all(folder);
    }
    std::fs::write(&temporary, &update.persona)
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|e| {
            format!(
                "cannot write the persona file `{}` ({e}); grant its folder with `--dir ./state::/state`",
                path.display()
            )
        })?;
    Ok("persona updated".to_string())
}

impl ToolsGuest for Soul {
    fn list() -> Vec<ToolSpec> {
        vec![ToolSpec {
            name: TOOL.to_string(),
            description: "Replaces your persona (who you are and how you speak) with new text.".to_string(),
            parameters: r#"{"type":"object","properties":{"persona":{"type":"string"}},"required":["persona"]}"#.to_string(),
        }]
    }

    fn call(name: String, arguments: String) -> Result<String, String> {
        if name == TOOL {
            update(&arguments)
        } else {
            Err(asterbot_sdk::chain::unknown_tool(&name))
        }
    }
}

impl ContextGuest for Soul {
    fn sections(_session: String, _input: String) -> Vec<Section> {
        vec![Section {
            title: "Persona".to_string(),
            body: persona(),
        }]
    }
}

asterbot_sdk::export_tools_and_context_world!(Soul);
