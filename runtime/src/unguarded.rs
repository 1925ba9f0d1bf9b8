//! A warning for an artifact that carries no asterbot guards: one made by
//! plain `wac compose`, or by `asterbot compose --no-guards`. Such an
//! artifact runs, but every instance in it reaches whatever the runner
//! grants the whole artifact.

use asterbot_artifact::Section;

/// What is said of the artifact `name` (its `bytes`) before it runs, if
/// it carries no asterbot guards by its own record. The record is a
/// claim, read cheaply from the top level; `asterbot audit` checks the
/// wiring itself.
pub(crate) fn warning(name: &str, bytes: &[u8]) -> Option<String> {
    let consequence = "every instance in it reaches whatever this runner grants the whole artifact";
    let Some(data) = Section::Provenance.read(bytes) else {
        return Some(format!(
            "`{name}` was not composed by asterbot, so no guard inside it sandboxes its instances: {consequence} (`asterbot audit {name}` shows it)"
        ));
    };
    let provenance: serde_json::Value = serde_json::from_slice(data).ok()?;
    let guarded = provenance["components"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| {
            c["package"]
                .as_str()
                .is_some_and(|p| p.starts_with("asterbot:guard-"))
        });
    (!guarded).then(|| {
        format!(
            "`{name}` was composed without guards (`--no-guards`): {consequence} (`asterbot audit {name}` shows it)"
        )
    })
}
