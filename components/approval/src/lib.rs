//! `approval`: a gate for sensitive tools. Only the tools named in
//! `ASTERBOT_APPROVED_TOOLS` (comma-separated; `*` approves all) pass this
//! link of the chain; any other call is refused with a message that says
//! how to approve it, and the model sees that refusal as the tool result.
//! Put it above the tools it guards.

use asterbot_sdk::Middleware;

/// Environment variable listing the approved tools.
const APPROVED_ENV: &str = "ASTERBOT_APPROVED_TOOLS";

struct Approval;

/// Whether `tool` is on the allow list `list`.
fn approved(list: &str, tool: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|entry| entry == "*" || entry == tool)
}

impl Middleware for Approval {
    fn call(
        name: &str,
        arguments: &str,
        next: &dyn Fn(&str, &str) -> Result<String, String>,
    ) -> Result<String, String> {
        let list = std::env::var(APPROVED_ENV).unwrap_or_default();
        if approved(&list, name) {
            return next(name, arguments);
        }
        Err(format!(
            "tool `{name}` needs approval and was not run: the user can approve it by adding `{name}` to {APPROVED_ENV} (comma-separated)"
        ))
    }
}

asterbot_sdk::export_middleware!(Approval);

#[cfg(test)]
mod tests {
    use super::approved;

    #[test]
    fn the_allow_list_is_exact_names_or_a_star() {
        assert!(approved("clock, calculator", "calculator"));
        assert!(approved("*", "anything"));
        assert!(!approved("", "clock"));
        assert!(!approved("clock", "clock2"));
        assert!(!approved("calc", "calculator"));
    }
}
