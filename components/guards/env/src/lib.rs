//! `guard-env`: the environment one instance sees. Only the variables the
//! baked policy names pass (`*` passes all); arguments and the working
//! directory pass unchanged.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

wit_bindgen::generate!({ path: "../../../wit/guards", world: "env", generate_all });

use asterbot::guard::policy;
use exports::wasi::cli::environment::Guest;
use wasi::cli::environment as host;

struct Guard;

impl Guest for Guard {
    fn get_environment() -> Vec<(String, String)> {
        let allowed = policy::allowed();
        host::get_environment()
            .into_iter()
            .filter(|(name, _)| allows(&allowed, name))
            .collect()
    }

    fn get_arguments() -> Vec<String> {
        host::get_arguments()
    }

    fn initial_cwd() -> Option<String> {
        host::initial_cwd()
    }
}

/// Whether the policy `allowed` lets variable `name` through.
fn allows(allowed: &[String], name: &str) -> bool {
    allowed.iter().any(|a| a == "*" || a == name)
}

export!(Guard);

// The allocator, panic handler and memcmp of a no_std component.
use guard_support as _;

#[cfg(test)]
mod tests {
    use super::allows;

    #[test]
    fn only_named_variables_pass() {
        let allowed = vec!["OPENAI_API_KEY".to_string()];
        assert!(allows(&allowed, "OPENAI_API_KEY"));
        assert!(!allows(&allowed, "OPENAI_API_KEY_2"));
        assert!(!allows(&[], "HOME"));
        assert!(allows(&["*".to_string()], "HOME"));
    }
}
