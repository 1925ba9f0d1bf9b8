//! Provider configuration from the environment the runner grants.
//!
//! - `ASTERBOT_MODEL`: `<preset>/<model>`, e.g. `openai/gpt-4o-mini`,
//!   `ollama/llama3.2`; a bare model name uses the provider's first preset.
//! - `ASTERBOT_BASE_URL`: another endpoint for the preset (a proxy, a test
//!   server); with it, a model whose prefix is no preset is taken whole.
//! - `ASTERBOT_API_KEY`: the key, instead of the preset's own variable
//!   (`OPENAI_API_KEY`, `GROQ_API_KEY`, ...).
//! - `ASTERBOT_LLM_TIMEOUT` (default `120s`) and `ASTERBOT_LLM_RETRIES`
//!   (default 2): how long to wait for an answer, and how often to retry a
//!   429 or 5xx.

use crate::LlmError;
use asterbot_http::Url;
use asterbot_http::retry::RetryPolicy;
use std::time::Duration;

/// Names the model and its provider.
pub const MODEL_ENV: &str = "ASTERBOT_MODEL";
/// Overrides the preset's base URL.
pub const BASE_URL_ENV: &str = "ASTERBOT_BASE_URL";
/// Overrides the preset's key variable.
pub const API_KEY_ENV: &str = "ASTERBOT_API_KEY";
/// Time to wait for an answer.
pub const TIMEOUT_ENV: &str = "ASTERBOT_LLM_TIMEOUT";
/// Retries of a 429 or 5xx answer.
pub const RETRIES_ENV: &str = "ASTERBOT_LLM_RETRIES";

/// A known endpoint of an API.
#[derive(Debug, PartialEq, Eq)]
pub struct Preset {
    /// The prefix in `ASTERBOT_MODEL`: `openai`, `ollama`, ...
    pub name: &'static str,
    /// Base URL of the API, without the endpoint path.
    pub base_url: &'static str,
    /// Variable holding the key, if the endpoint needs one.
    pub key_env: Option<&'static str>,
    /// Model used when `ASTERBOT_MODEL` names only the preset.
    pub default_model: &'static str,
}

/// Everything one request needs to know.
#[derive(Debug)]
pub struct Config {
    /// The preset in use.
    pub preset: &'static Preset,
    /// Where the API is.
    pub base_url: Url,
    /// The key, if any.
    pub api_key: Option<String>,
    /// The model name sent to the API.
    pub model: String,
    /// Time to wait for an answer.
    pub timeout: Duration,
    /// Retries of 429 and 5xx answers.
    pub retry: RetryPolicy,
}

impl Config {
    /// Reads the configuration of `api` from the environment.
    pub fn from_env(api: &str, presets: &'static [Preset]) -> Result<Config, LlmError> {
        Config::from_lookup(api, presets, |key| std::env::var(key).ok())
    }

    /// Reads the configuration with `var` looking up variables.
    pub fn from_lookup(
        api: &str,
        presets: &'static [Preset],
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, LlmError> {
        let var = |key: &str| var(key).filter(|v| !v.trim().is_empty());
        let base_override = var(BASE_URL_ENV);
        let requested = var(MODEL_ENV).unwrap_or_default();
        let (preset, model) = select(api, presets, requested.trim(), base_override.is_some())?;
        let base_url = base_override.as_deref().unwrap_or(preset.base_url);
        let base_url = Url::parse(base_url)
            .map_err(|e| LlmError::BadRequest(format!("{BASE_URL_ENV}: {e}")))?;
        let api_key = var(API_KEY_ENV).or_else(|| preset.key_env.and_then(&var));
        if api_key.is_none()
            && let Some(key_env) = preset.key_env
        {
            return Err(LlmError::Auth(format!(
                "{api} API ({}): no key; set {key_env} and grant it with `--env {key_env}`",
                preset.name
            )));
        }
        let timeout = match var(TIMEOUT_ENV) {
            Some(text) => humantime::parse_duration(text.trim()).map_err(|e| {
                LlmError::BadRequest(format!("{TIMEOUT_ENV}=`{text}`: {e} (e.g. `90s`)"))
            })?,
            None => Duration::from_secs(120),
        };
        let mut retry = RetryPolicy::default();
        if let Some(text) = var(RETRIES_ENV) {
            retry.retries = text.trim().parse().map_err(|_| {
                LlmError::BadRequest(format!("{RETRIES_ENV}=`{text}`: expected a number"))
            })?;
        }
        Ok(Config {
            preset,
            base_url,
            api_key,
            model,
            timeout,
            retry,
        })
    }
}

/// The preset and model that `requested` (`<preset>/<model>`) names.
fn select(
    api: &str,
    presets: &'static [Preset],
    requested: &str,
    custom_endpoint: bool,
) -> Result<(&'static Preset, String), LlmError> {
    let first = &presets[0];
    let Some((prefix, model)) = requested.split_once('/') else {
        let named = presets.iter().find(|p| p.name == requested);
        return Ok(match (requested, named) {
            ("", _) => (first, first.default_model.to_string()),
            (_, Some(preset)) => (preset, preset.default_model.to_string()),
            (model, None) => (first, model.to_string()),
        });
    };
    if let Some(preset) = presets.iter().find(|p| p.name == prefix) {
        let model = if model.is_empty() {
            preset.default_model
        } else {
            model
        };
        return Ok((preset, model.to_string()));
    }
    if custom_endpoint {
        return Ok((first, requested.to_string()));
    }
    let names: Vec<&str> = presets.iter().map(|p| p.name).collect();
    Err(LlmError::BadRequest(format!(
        "{MODEL_ENV}=`{requested}`: `{prefix}` is not a preset of the {api} API; use one of {} (as `<preset>/<model>`), or set {BASE_URL_ENV}",
        names.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    static PRESETS: &[Preset] = &[
        Preset {
            name: "openai",
            base_url: "https://api.openai.com/v1",
            key_env: Some("OPENAI_API_KEY"),
            default_model: "gpt-4o-mini",
        },
        Preset {
            name: "ollama",
            base_url: "http://localhost:11434/v1",
            key_env: None,
            default_model: "llama3.2",
        },
    ];

    fn config(vars: &[(&str, &str)]) -> Result<Config, LlmError> {
        Config::from_lookup("test", PRESETS, |key| {
            vars.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_model_names_the_preset() {
        let c = config(&[(MODEL_ENV, "ollama/qwen2.5:7b")]).unwrap();
        assert_eq!((c.preset.name, c.model.as_str()), ("ollama", "qwen2.5:7b"));
        assert_eq!(c.base_url.authority, "localhost:11434");
        assert_eq!(c.api_key, None);
        let c = config(&[(MODEL_ENV, "ollama")]).unwrap();
        assert_eq!(c.model, "llama3.2");
        let c = config(&[(MODEL_ENV, "gpt-4.1"), ("OPENAI_API_KEY", "k")]).unwrap();
        assert_eq!((c.preset.name, c.model.as_str()), ("openai", "gpt-4.1"));
        assert_eq!(c.api_key.as_deref(), Some("k"));
        assert_eq!(c.timeout, Duration::from_secs(120));
    }

    #[test]
    fn overrides_and_errors() {
        let c = config(&[
            (MODEL_ENV, "acme/big-model"),
            (BASE_URL_ENV, "http://127.0.0.1:9/v1"),
            (API_KEY_ENV, "secret"),
            (TIMEOUT_ENV, "2s"),
            (RETRIES_ENV, "0"),
        ])
        .unwrap();
        assert_eq!(c.model, "acme/big-model");
        assert_eq!(c.base_url.authority, "127.0.0.1:9");
        assert_eq!((c.timeout, c.retry.retries), (Duration::from_secs(2), 0));
        let Err(LlmError::BadRequest(why)) = config(&[(MODEL_ENV, "acme/x")]) else {
            panic!("an unknown preset must be refused")
        };
        assert!(why.contains("openai, ollama"), "{why}");
        let Err(LlmError::Auth(why)) = config(&[(MODEL_ENV, "openai/gpt-4o")]) else {
            panic!("a missing key must be an auth error")
        };
        assert!(why.contains("--env OPENAI_API_KEY"), "{why}");
        assert!(matches!(
            config(&[(MODEL_ENV, "ollama"), (TIMEOUT_ENV, "soon")]),
            Err(LlmError::BadRequest(_))
        ));
    }
}
