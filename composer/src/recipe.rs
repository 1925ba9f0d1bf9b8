//! Reading and parsing a recipe.

use crate::error::ComposeError;
use miette::NamedSource;
use std::path::Path;
use wac_parser::Document;

/// A recipe's text and the name it is reported under.
pub struct Recipe {
    name: String,
    source: String,
}

impl Recipe {
    /// Reads the recipe at `path`.
    pub fn load(path: &Path) -> Result<Recipe, miette::Report> {
        let source = std::fs::read_to_string(path).map_err(|e| {
            miette::miette!(
                help = "check the path; a recipe is a UTF-8 text file in the WAC language",
                "cannot read recipe `{}`: {e}",
                path.display()
            )
        })?;
        Ok(Recipe::from_source(path.display().to_string(), source))
    }

    /// A recipe from text in memory; `name` is used in diagnostics.
    pub fn from_source(name: impl Into<String>, source: impl Into<String>) -> Recipe {
        Recipe {
            name: name.into(),
            source: source.into(),
        }
    }

    /// The name diagnostics use for this recipe (usually its path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Parses the recipe as a WAC document.
    pub(crate) fn parse(&self) -> Result<Document<'_>, ComposeError> {
        Document::parse(&self.source).map_err(|e| ComposeError::Syntax(Box::new(e)))
    }

    /// Attaches the recipe text to `error` so the report shows the line.
    pub(crate) fn report(&self, error: ComposeError) -> miette::Report {
        miette::Report::new(error)
            .with_source_code(NamedSource::new(&self.name, self.source.clone()))
    }
}
