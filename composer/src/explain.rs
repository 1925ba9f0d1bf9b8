//! Help lines for the linker's errors: which names exist, which one was
//! probably meant, and how to fix the recipe.

use indexmap::IndexMap;
use miette::SourceSpan;
use wac_parser::resolution::Error;
use wac_parser::{Document, PrimaryExpr, Statement};
use wac_types::{BorrowedPackageKey, Package, Types};

/// What the explanations can look at: the recipe and its packages.
pub struct Explainer<'a> {
    source: &'a str,
    document: &'a Document<'a>,
    worlds: IndexMap<String, (Vec<String>, Vec<String>)>,
}

impl<'a> Explainer<'a> {
    /// Reads the import and export names of every resolved package.
    pub fn new(
        source: &'a str,
        document: &'a Document<'a>,
        packages: &IndexMap<BorrowedPackageKey<'a>, Vec<u8>>,
    ) -> Explainer<'a> {
        let mut types = Types::default();
        let mut worlds = IndexMap::new();
        for (key, bytes) in packages {
            if let Ok(package) =
                Package::from_bytes(key.name, key.version, bytes.clone(), &mut types)
            {
                let world = &types[package.ty()];
                let names = |map: &IndexMap<String, _>| map.keys().cloned().collect::<Vec<_>>();
                worlds.insert(
                    key.name.to_string(),
                    (names(&world.imports), names(&world.exports)),
                );
            }
        }
        Explainer {
            source,
            document,
            worlds,
        }
    }

    /// The help line for `error`, when there is something useful to say.
    pub fn help(&self, error: &Error) -> Option<String> {
        match error {
            Error::UndefinedName { name, span } => Some(self.undefined(name, *span)),
            Error::MissingInstanceExport { name, span } => {
                let exports = &self.worlds.get(self.package_before(*span)?)?.1;
                Some(did_you_mean(name, exports, "the instance exports"))
            }
            Error::MissingComponentImport {
                package, import, ..
            } => {
                let imports = &self.worlds.get(package)?.0;
                Some(did_you_mean(
                    import,
                    imports,
                    &format!("`{package}` imports"),
                ))
            }
            Error::MismatchedInstantiationArg { name, span, .. } => {
                Some(self.mismatch(name, *span))
            }
            Error::DuplicateInstantiationArg { name, .. } => Some(format!(
                "give `{name}` once: remove one of the two arguments"
            )),
            Error::MissingInstantiationArg { name, .. } => Some(format!(
                "pass it as `{}: <instance>.<export>`, or end the arguments with `...` to import it from the runtime",
                short(name)
            )),
            Error::DuplicateName { name, .. } => Some(format!(
                "each name is bound once: rename one of the two `{name}`s"
            )),
            Error::PackageParseFailure { name, .. } => Some(format!(
                "the component file for `{name}` is damaged or truncated: rebuild it (`cargo xtask build` for this repository's components)"
            )),
            _ => None,
        }
    }

    /// An undefined name: defined later (the recipe would be a cycle or
    /// out of order), or a typo of a defined one.
    fn undefined(&self, name: &str, span: SourceSpan) -> String {
        let lets: Vec<(&str, SourceSpan)> = self
            .document
            .statements
            .iter()
            .filter_map(|statement| match statement {
                Statement::Let(l) => Some((l.id.string, l.id.span)),
                _ => None,
            })
            .collect();
        if let Some((_, defined)) = lets.iter().find(|(n, _)| *n == name) {
            let line = self.source[..defined.offset()].matches('\n').count() + 1;
            return format!(
                "`{name}` is defined later, on line {line}; an instance must be defined before it is used, so instances cannot depend on each other in a cycle"
            );
        }
        let known: Vec<String> = lets
            .iter()
            .filter(|(_, s)| s.offset() < span.offset())
            .map(|(n, _)| n.to_string())
            .collect();
        did_you_mean(name, &known, "names defined so far")
    }

    /// The package of the instance named just before the `.name` at `span`.
    fn package_before(&self, span: SourceSpan) -> Option<&str> {
        let before = self
            .source
            .get(..span.offset())?
            .trim_end()
            .trim_end_matches('.');
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '-'))
            .map_or(0, |i| i + 1);
        self.package_of(&before[start..])
    }

    /// Both sides of a mismatched argument: what the import expects and
    /// what the value written after `name:` is.
    fn mismatch(&self, name: &str, span: SourceSpan) -> String {
        let after = self.source.get(span.offset() + span.len()..).unwrap_or("");
        let value = after
            .trim_start()
            .strip_prefix(':')
            .and_then(|rest| rest.split([',', '}']).next())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        let Some(value) = value else {
            return format!("the argument expects `{name}`; pass an export of that interface");
        };
        let given = value.split_once('.').and_then(|(instance, export)| {
            let package = self.package_of(instance)?;
            let full = self
                .worlds
                .get(package)?
                .1
                .iter()
                .find(|e| short(e) == export)?;
            Some(format!("`{full}` from `{package}`"))
        });
        match given {
            Some(given) => format!(
                "expected `{name}`, given `{value}`, which is {given}; pass an export of the expected interface"
            ),
            None => format!(
                "expected `{name}`, given `{value}`; pass an export of the expected interface"
            ),
        }
    }

    /// The package instantiated by `let instance = new <package> ...`.
    fn package_of(&self, instance: &str) -> Option<&str> {
        self.document
            .statements
            .iter()
            .find_map(|statement| match statement {
                Statement::Let(l) if l.id.string == instance => match &l.expr.primary {
                    PrimaryExpr::New(new) => Some(new.package.name),
                    _ => None,
                },
                _ => None,
            })
    }
}

/// "did you mean `x`?" when a name is close, and the names that exist.
fn did_you_mean(wanted: &str, names: &[String], what: &str) -> String {
    let best = names
        .iter()
        .map(|n| (strsim::jaro_winkler(short(wanted), short(n)), n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    // WASI interfaces are many and rarely what a recipe names: count them.
    let (wasi, own): (Vec<&String>, Vec<&String>) =
        names.iter().partition(|n| n.starts_with("wasi:"));
    let mut list = own
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if !wasi.is_empty() {
        let sep = if list.is_empty() { "" } else { ", and " };
        list = format!("{list}{sep}{} WASI interfaces", wasi.len());
    }
    if list.is_empty() {
        list = "nothing".to_string();
    }
    match best {
        Some((_, name)) => format!("did you mean `{}`? {what}: {list}", short(name)),
        None => format!("{what}: {list}"),
    }
}

/// `asterbot:agent/tools@0.1.0` → `tools`: the name a recipe may write.
fn short(name: &str) -> &str {
    let name = name.split('@').next().unwrap_or(name);
    name.rsplit('/').next().unwrap_or(name)
}
