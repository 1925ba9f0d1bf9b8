//! Reading and parsing a recipe.

use crate::error::{ComposeError, Explained};
use miette::{Diagnostic, NamedSource};
use std::path::Path;
use wac_parser::Document;

/// Longest recipe line a diagnostic quotes.
const MAX_SHOWN_LINE: usize = 4096;

/// The largest char boundary at or before `offset`.
fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

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

    /// The recipe's text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Parses the recipe as a WAC document.
    pub(crate) fn parse(&self) -> Result<Document<'_>, ComposeError> {
        if let Some(offset) = crate::nesting::too_deep_at(&self.source) {
            return Err(ComposeError::TooDeep {
                limit: crate::nesting::MAX_NESTING,
                span: (offset..offset + 1).into(),
            });
        }
        Document::parse(&self.source).map_err(|error| {
            let help = Some(if self.source.trim().is_empty() || error.to_string().contains("`package` keyword") {
                "a recipe starts with `package <namespace>:<name>;`, then `let`, `import` and `export` statements".to_string()
            } else {
                "a recipe is a WAC document: see the WAC language reference (LANGUAGE.md in bytecodealliance/wac) and recipes/offline.wac".to_string()
            });
            ComposeError::Syntax(Box::new(Explained { error, help }))
        })
    }

    /// Attaches the recipe text to `error` so the report shows the line.
    ///
    /// A line too long to show (minified or hostile input) is replaced by
    /// its position, `name:line:column`.
    pub(crate) fn report(&self, error: ComposeError) -> miette::Report {
        let offset = error
            .labels()
            .and_then(|mut labels| labels.next())
            .map(|label| label.offset().min(self.source.len()));
        let longest_line = self.source.lines().map(str::len).max().unwrap_or(0);
        match offset {
            Some(offset) if longest_line > MAX_SHOWN_LINE => {
                let before = &self.source[..floor_char_boundary(&self.source, offset)];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                miette::Report::new(error).wrap_err(format!(
                    "at {}:{line}:{column} (the line is too long to show)",
                    self.name
                ))
            }
            _ => miette::Report::new(error)
                .with_source_code(NamedSource::new(&self.name, self.source.clone())),
        }
    }
}
