//! Tool `{{tool}}`: {{description}}

struct Tool;

/// The arguments the model gives; their JSON Schema is derived from this
/// type, doc comments included.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Args {
    /// The text to work on.
    text: String,
}

impl asterbot_sdk::Tool for Tool {
    const NAME: &'static str = "{{tool}}";
    const DESCRIPTION: &'static str = "{{description}}";
    type Args = Args;

    fn run(args: Args) -> Result<String, String> {
        if args.text.to_uppercase() == args.text.to_lowercase() {
            // An `Err` goes back to the model as the tool's error.
            return Err("`text` has no letters to upper-case".to_string());
        }
        Ok(args.text.to_uppercase())
    }
}

asterbot_sdk::export_tool!(Tool);

#[cfg(test)]
mod tests {
    use asterbot_sdk::Tool as _;

    #[test]
    fn it_answers_and_it_refuses() {
        let answer = super::Tool::run(super::Args { text: "hi".into() });
        assert_eq!(answer, Ok("HI".to_string()));
        assert!(super::Tool::run(super::Args { text: String::new() }).is_err());
    }
}
