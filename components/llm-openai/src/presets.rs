//! Endpoints that speak the OpenAI chat completions API.

use llm_http::Preset;

const fn preset(
    name: &'static str,
    base_url: &'static str,
    key_env: Option<&'static str>,
    default_model: &'static str,
) -> Preset {
    Preset {
        name,
        base_url,
        key_env,
        default_model,
    }
}

/// The presets, selected by the prefix of `ASTERBOT_MODEL`. Local servers
/// need no key; `ASTERBOT_BASE_URL` moves any of them elsewhere.
pub static PRESETS: &[Preset] = &[
    preset(
        "openai",
        "https://api.openai.com/v1",
        Some("OPENAI_API_KEY"),
        "gpt-4o-mini",
    ),
    preset("ollama", "http://localhost:11434/v1", None, "llama3.2"),
    preset("llamacpp", "http://localhost:8080/v1", None, "default"),
    preset("vllm", "http://localhost:8000/v1", None, "default"),
    preset("lmstudio", "http://localhost:1234/v1", None, "default"),
    preset(
        "groq",
        "https://api.groq.com/openai/v1",
        Some("GROQ_API_KEY"),
        "llama-3.3-70b-versatile",
    ),
    preset(
        "mistral",
        "https://api.mistral.ai/v1",
        Some("MISTRAL_API_KEY"),
        "mistral-small-latest",
    ),
    preset(
        "deepseek",
        "https://api.deepseek.com/v1",
        Some("DEEPSEEK_API_KEY"),
        "deepseek-chat",
    ),
    preset(
        "together",
        "https://api.together.xyz/v1",
        Some("TOGETHER_API_KEY"),
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    ),
    preset(
        "fireworks",
        "https://api.fireworks.ai/inference/v1",
        Some("FIREWORKS_API_KEY"),
        "accounts/fireworks/models/llama-v3p3-70b-instruct",
    ),
    preset(
        "openrouter",
        "https://openrouter.ai/api/v1",
        Some("OPENROUTER_API_KEY"),
        "openai/gpt-4o-mini",
    ),
    preset(
        "xai",
        "https://api.x.ai/v1",
        Some("XAI_API_KEY"),
        "grok-3-mini",
    ),
    preset(
        "google",
        "https://generativelanguage.googleapis.com/v1beta/openai",
        Some("GEMINI_API_KEY"),
        "gemini-2.0-flash",
    ),
    preset(
        "perplexity",
        "https://api.perplexity.ai",
        Some("PERPLEXITY_API_KEY"),
        "sonar",
    ),
    preset(
        "cerebras",
        "https://api.cerebras.ai/v1",
        Some("CEREBRAS_API_KEY"),
        "llama3.1-8b",
    ),
];

#[cfg(test)]
mod tests {
    use super::PRESETS;
    use asterbot_http::Url;

    #[test]
    fn presets_are_distinct_valid_endpoints() {
        assert!(PRESETS.len() >= 12);
        for (i, preset) in PRESETS.iter().enumerate() {
            assert!(Url::parse(preset.base_url).is_ok(), "{}", preset.name);
            assert!(
                !PRESETS[..i].iter().any(|p| p.name == preset.name),
                "{}",
                preset.name
            );
            let local = preset.base_url.starts_with("http://localhost");
            assert_eq!(local, preset.key_env.is_none(), "{}", preset.name);
        }
    }
}
