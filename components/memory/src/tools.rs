//! The memory tools the model can call.

use crate::asterbot::agent::types::ToolSpec;
use crate::notes;
use serde::Deserialize;

/// Arguments naming one note (and, for writing, its text).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteArgs {
    name: String,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    append: bool,
}

const NAME_SCHEMA: &str =
    r#""name":{"type":"string","description":"The note's name (a plain name, no path)"}"#;

/// The four tools, for the chain's list.
pub fn specs() -> Vec<ToolSpec> {
    let spec = |name: &str, description: &str, properties: &str, required: &str| ToolSpec {
        name: name.to_string(),
        description: description.to_string(),
        parameters: format!(
            r#"{{"type":"object","properties":{{{properties}}},"required":[{required}]}}"#
        ),
    };
    vec![
        spec(
            "memory_list",
            "Lists the names of your saved notes.",
            "",
            "",
        ),
        spec(
            "memory_read",
            "Reads a saved note.",
            NAME_SCHEMA,
            r#""name""#,
        ),
        spec(
            "memory_write",
            "Saves a note (markdown) under a name, replacing it, or appending when `append` is true.",
            &format!(
                r#"{NAME_SCHEMA},"content":{{"type":"string"}},"append":{{"type":"boolean","default":false}}"#
            ),
            r#""name","content""#,
        ),
        spec(
            "memory_delete",
            "Deletes a saved note.",
            NAME_SCHEMA,
            r#""name""#,
        ),
    ]
}

/// Runs `name` if it is a memory tool; `None` passes it down the chain.
pub fn call(name: &str, arguments: &str) -> Option<Result<String, String>> {
    let run = match name {
        "memory_list" => return Some(list()),
        "memory_read" => read,
        "memory_write" => write,
        "memory_delete" => delete,
        _ => return None,
    };
    let text = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    Some(
        serde_json::from_str::<NoteArgs>(text)
            .map_err(|e| format!("invalid arguments for tool `{name}`: {e}"))
            .and_then(run),
    )
}

fn list() -> Result<String, String> {
    let names = notes::list()?;
    Ok(if names.is_empty() {
        "no notes yet".to_string()
    } else {
        names.join("\n")
    })
}

fn read(args: NoteArgs) -> Result<String, String> {
    notes::read(&args.name)
}

fn write(args: NoteArgs) -> Result<String, String> {
    let content = args
        .content
        .ok_or_else(|| "memory_write needs `content`".to_string())?;
    let text = match (args.append, notes::read(&args.name)) {
        (true, Ok(existing)) => format!("{}\n{content}", existing.trim_end()),
        _ => content,
    };
    notes::write(&args.name, &text)?;
    Ok(format!("saved note `{}`", args.name))
}

fn delete(args: NoteArgs) -> Result<String, String> {
    notes::delete(&args.name)?;
    Ok(format!("deleted note `{}`", args.name))
}
