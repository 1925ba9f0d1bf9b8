//! The short table of what a composed agent still imports.

use asterbot_composer::RuntimeImport;
use std::fmt::Write;

/// Renders one line per import: the interface, then the instances using it.
pub fn imports_table(imports: &[RuntimeImport]) -> String {
    let label = |import: &RuntimeImport| match import.versions.as_slice() {
        [] => import.name.clone(),
        versions => format!("{}@{}", import.name, versions.join(",")),
    };
    let width = imports.iter().map(|i| label(i).len()).max().unwrap_or(0);
    let mut table = String::from("the runtime must provide:\n");
    for import in imports {
        let users = if import.instances.is_empty() {
            "(the recipe)".to_string()
        } else {
            import.instances.join(", ")
        };
        let note = if import.types_only {
            "  [types only: nothing to provide]"
        } else {
            ""
        };
        let _ = writeln!(table, "  {:width$}  {users}{note}", label(import));
    }
    table
}
