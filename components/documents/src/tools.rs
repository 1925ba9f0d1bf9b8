//! A library's tools: list, read, write (replace or append), delete.

use crate::{Library, ToolSpec, store};
use serde::Deserialize;

/// Arguments naming one document (and, for writing, its text).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentArgs {
    name: String,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    append: bool,
}

/// The four tools, for the chain's list.
pub fn specs(library: &Library) -> Vec<ToolSpec> {
    let (prefix, noun, purpose) = (library.prefix, library.noun, library.purpose);
    let name = format!(
        r#""name":{{"type":"string","description":"The {noun}'s name (a plain name, no path)"}}"#
    );
    let spec = |tool: &str, description: String, properties: &str, required: &str| ToolSpec {
        name: format!("{prefix}_{tool}"),
        description,
        parameters: format!(
            r#"{{"type":"object","properties":{{{properties}}},"required":[{required}]}}"#
        ),
    };
    vec![
        spec(
            "list",
            format!("Lists your saved {noun}s ({purpose})."),
            "",
            "",
        ),
        spec("read", format!("Reads a saved {noun}."), &name, r#""name""#),
        spec(
            "write",
            format!(
                "Saves a {noun} (markdown) under a name, replacing it, or appending when `append` is true."
            ),
            &format!(
                r#"{name},"content":{{"type":"string"}},"append":{{"type":"boolean","default":false}}"#
            ),
            r#""name","content""#,
        ),
        spec(
            "delete",
            format!("Deletes a saved {noun}."),
            &name,
            r#""name""#,
        ),
    ]
}

/// Runs `name` if it is one of the library's tools; `None` passes it on.
pub fn call(library: &Library, name: &str, arguments: &str) -> Option<Result<String, String>> {
    let tool = name.strip_prefix(library.prefix)?.strip_prefix('_')?;
    if tool == "list" {
        return Some(list(library));
    }
    let run = match tool {
        "read" => read,
        "write" => write,
        "delete" => delete,
        _ => return None,
    };
    let text = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    Some(
        serde_json::from_str::<DocumentArgs>(text)
            .map_err(|e| format!("invalid arguments for tool `{name}`: {e}"))
            .and_then(|args| run(library, args)),
    )
}

fn list(library: &Library) -> Result<String, String> {
    let names = store::list(library)?;
    Ok(if names.is_empty() {
        format!("no {}s yet", library.noun)
    } else {
        names.join("\n")
    })
}

fn read(library: &Library, args: DocumentArgs) -> Result<String, String> {
    store::read(library, &args.name)
}

fn write(library: &Library, args: DocumentArgs) -> Result<String, String> {
    let content = args
        .content
        .ok_or_else(|| format!("{}_write needs `content`", library.prefix))?;
    let text = match (args.append, store::read(library, &args.name)) {
        (true, Ok(existing)) => format!("{}\n{content}", existing.trim_end()),
        _ => content,
    };
    store::write(library, &args.name, &text)?;
    Ok(format!("saved {} `{}`", library.noun, args.name))
}

fn delete(library: &Library, args: DocumentArgs) -> Result<String, String> {
    store::delete(library, &args.name)?;
    Ok(format!("deleted {} `{}`", library.noun, args.name))
}
