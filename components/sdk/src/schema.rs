//! JSON Schemas of tool arguments, derived from their Rust types.

use schemars::generate::SchemaSettings;

/// The JSON Schema of `T` as a model API wants it: one self-contained
/// object schema (subschemas inlined), without `$schema` and `title`.
pub fn of<T: schemars::JsonSchema>() -> String {
    let generator = SchemaSettings::draft07()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        object.remove("title");
        object.remove("description");
    }
    schema.to_value().to_string()
}

#[cfg(test)]
mod tests {
    /// What the model is told.
    #[derive(schemars::JsonSchema, serde::Deserialize)]
    #[allow(dead_code)]
    struct Args {
        /// The expression to evaluate.
        expression: String,
        /// How many, at most.
        #[serde(default)]
        #[schemars(range(min = 1, max = 10))]
        limit: Option<u32>,
    }

    #[test]
    fn a_schema_comes_from_the_type() {
        let schema: serde_json::Value = serde_json::from_str(&super::of::<Args>()).unwrap();
        assert_eq!(schema["type"], "object");
        assert_eq!(
            schema["properties"]["expression"],
            serde_json::json!({"type": "string", "description": "The expression to evaluate."})
        );
        assert_eq!(schema["properties"]["limit"]["maximum"], 10);
        assert_eq!(schema["required"], serde_json::json!(["expression"]));
        assert!(schema.get("$schema").is_none() && schema.get("title").is_none());
    }
}
