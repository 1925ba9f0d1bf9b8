//! `guard-env`: the environment one instance sees. The baked policy names
//! the variables that pass from the runtime (`*`: all), the values baked
//! into the artifact by the recipe (`NAME=VALUE`: served as they are,
//! whatever the runtime says), and `+front-end` for the instance that may
//! see the program's arguments and working directory; any other instance
//! sees no arguments and no working directory.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

wit_bindgen::generate!({ path: "../../../wit/guards", world: "env", generate_all });

use asterbot::guard::policy;
use exports::wasi::cli::environment::Guest;
use wasi::cli::environment as host;

/// The policy entry that passes the arguments and the working directory.
const FRONT_END: &str = "+front-end";

struct Guard;

impl Guest for Guard {
    fn get_environment() -> Vec<(String, String)> {
        let policy = policy::allowed();
        let mut environment: Vec<(String, String)> = host::get_environment()
            .into_iter()
            .filter(|(name, _)| passes(&policy, name))
            .collect();
        environment.extend(baked(&policy));
        environment
    }

    fn get_arguments() -> Vec<String> {
        if front_end(&policy::allowed()) {
            host::get_arguments()
        } else {
            Vec::new()
        }
    }

    fn initial_cwd() -> Option<String> {
        if front_end(&policy::allowed()) {
            host::initial_cwd()
        } else {
            None
        }
    }
}

/// Whether the runtime's variable `name` passes: allowed by name or `*`,
/// and not one whose value the recipe baked.
fn passes(policy: &[String], name: &str) -> bool {
    let baked = policy
        .iter()
        .any(|entry| entry.split_once('=').is_some_and(|(key, _)| key == name));
    !baked && policy.iter().any(|entry| entry == "*" || entry == name)
}

/// The values the recipe baked into the artifact.
fn baked(policy: &[String]) -> impl Iterator<Item = (String, String)> + '_ {
    policy.iter().filter_map(|entry| {
        entry
            .split_once('=')
            .map(|(key, value)| (key.to_string(), value.to_string()))
    })
}

fn front_end(policy: &[String]) -> bool {
    policy.iter().any(|entry| entry == FRONT_END)
}

export!(Guard);

// The allocator, panic handler and memcmp of a no_std component.
use guard_support as _;

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn policy(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn only_named_variables_pass() {
        let allowed = policy(&["OPENAI_API_KEY"]);
        assert!(passes(&allowed, "OPENAI_API_KEY"));
        assert!(!passes(&allowed, "OPENAI_API_KEY_2"));
        assert!(!passes(&[], "HOME"));
        assert!(passes(&policy(&["*"]), "HOME"));
    }

    #[test]
    fn baked_values_win_over_the_runtime() {
        let allowed = policy(&["*", "ASTERBOT_MODEL=ollama/llama3.2", FRONT_END]);
        assert!(!passes(&allowed, "ASTERBOT_MODEL"));
        assert!(passes(&allowed, "HOME"));
        assert_eq!(
            baked(&allowed).collect::<Vec<_>>(),
            vec![("ASTERBOT_MODEL".to_string(), "ollama/llama3.2".to_string())]
        );
        assert!(front_end(&allowed));
        assert!(!front_end(&policy(&["*"])));
    }
}
