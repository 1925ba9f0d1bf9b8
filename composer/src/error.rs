//! Everything that can go wrong while composing, as diagnostics that point
//! into the recipe and say how to fix it.

use miette::{Diagnostic, SourceSpan};
use std::fmt;

/// A composition failure.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ComposeError {
    /// A policy annotation is not understood.
    #[error("{message}")]
    #[diagnostic(code(asterbot::annotation), help("{help}"))]
    Annotation {
        /// What is wrong.
        message: String,
        /// The annotation's line.
        #[label("this annotation")]
        span: SourceSpan,
        /// How to fix it.
        help: String,
    },

    /// The graph could not be encoded as one component.
    #[error("cannot combine the components into one: {0}")]
    #[diagnostic(
        code(asterbot::encode),
        help(
            "two instances import the same interface with incompatible types, or the recipe imports a name an instance also leaves to the runtime"
        )
    )]
    Encode(String),

    /// An instance could not be put behind its guards.
    #[error("cannot sandbox the recipe's instances: {0}")]
    #[diagnostic(
        code(asterbot::guard),
        help(
            "rebuild the component against WASI 0.2.6 or later (asterbot's guards speak it), or replace it with one that is"
        )
    )]
    Guard(String),

    /// An instance imports something no guard stands for, and the recipe
    /// did not allow it.
    #[error("{message}")]
    #[diagnostic(code(asterbot::unguardable), help("{help}"))]
    Unguardable {
        /// What is imported, by whom.
        message: String,
        /// The instance's `let`, if it has one.
        #[label("this instance")]
        span: Option<SourceSpan>,
        /// How to allow it, or what to do instead.
        help: String,
    },

    /// The composed wiring lets data flow where a policy of the recipe
    /// (`@deny-flow`) says it must not.
    #[error("{message}")]
    #[diagnostic(code(asterbot::flow_policy), help("{help}"))]
    FlowPolicy {
        /// The policy and the flow it denies.
        message: String,
        /// The policy's line.
        #[label("this policy")]
        span: SourceSpan,
        /// The recipe lines on the path, and how to close it.
        help: String,
    },

    /// An instance stands on an edge whose power the recipe did not grant,
    /// or the tools below an approval gate can be reached around it.
    #[error("{message}")]
    #[diagnostic(code(asterbot::edge), help("{help}"))]
    Edge {
        /// What the instance can do there.
        message: String,
        /// The instance's `let`, if it has one.
        #[label("this instance")]
        span: Option<SourceSpan>,
        /// How to grant the power or rewire.
        help: String,
    },

    /// The recipe is not valid WAC.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(Box<Explained<wac_parser::Error>>),

    /// The recipe nests brackets deeper than the parser allows.
    #[error("the recipe is nested more than {limit} levels deep")]
    #[diagnostic(
        code(asterbot::too_deep),
        help("flatten the expression: bind inner parts to names with `let`")
    )]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Where the limit is crossed.
        #[label("nesting too deep from here")]
        span: SourceSpan,
    },

    /// The recipe names a package that is not in the store.
    #[error("unknown package `{name}`")]
    #[diagnostic(code(asterbot::unknown_package), help("{searched}{nearest}{hint}"))]
    UnknownPackage {
        /// The package name as written.
        name: String,
        /// Where it is used.
        #[label("no component with this name")]
        span: SourceSpan,
        /// The places searched, for the help line.
        searched: String,
        /// Near names, for the help line.
        nearest: String,
        /// How to supply the component, for a name that is not asterbot's.
        hint: String,
    },

    /// The package file exists but cannot be read.
    #[error("cannot read the component for `{name}` at `{path}`: {reason}")]
    #[diagnostic(
        code(asterbot::unreadable_component),
        help("check the file's permissions")
    )]
    UnreadableComponent {
        /// The package name.
        name: String,
        /// The file.
        path: String,
        /// What the OS said.
        reason: String,
        /// Where the package is used.
        #[label("needed here")]
        span: SourceSpan,
    },

    /// A WIT package folder that does not parse.
    #[error("the WIT package for `{name}` in `{path}` is invalid: {reason}")]
    #[diagnostic(
        code(asterbot::bad_wit_package),
        help(
            "fix the WIT files in that folder; `wasm-tools component wit <folder>` shows the same error"
        )
    )]
    BadWitPackage {
        /// The package name.
        name: String,
        /// The folder.
        path: String,
        /// What the WIT parser said.
        reason: String,
        /// Where the package is used.
        #[label("this package")]
        span: SourceSpan,
    },

    /// The package file is not a WebAssembly component.
    #[error("`{path}` (package `{name}`) is not a WebAssembly component: {reason}")]
    #[diagnostic(code(asterbot::not_a_component), help("{help}"))]
    NotAComponent {
        /// The package name.
        name: String,
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
        /// How to fix it.
        help: String,
        /// Where the package is used.
        #[label("this package")]
        span: SourceSpan,
    },

    /// The recipe could not be linked (types, names, arguments).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Link(Box<Explained<wac_parser::resolution::Error>>),

    /// The linked result exports nothing a runtime can start.
    #[error("the recipe's result exports no entry point")]
    #[diagnostic(
        code(asterbot::no_entry_point),
        help(
            "export one of {expected}, e.g. `export cli[\"wasi:cli/run@0.2.6\"];` for a command-line agent{found}"
        )
    )]
    NoEntryPoint {
        /// The entry points that would do.
        expected: String,
        /// What the recipe does export, for the help line.
        found: String,
        /// The package directive, or the last export.
        #[label("this recipe exports no entry point")]
        span: SourceSpan,
    },
}

/// A diagnostic from the WAC crates with asterbot's help line added.
#[derive(Debug)]
pub struct Explained<E> {
    /// The original diagnostic.
    pub error: E,
    /// The help line to show instead of the original's.
    pub help: Option<String>,
}

impl<E: fmt::Display> fmt::Display for Explained<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<E: std::error::Error> std::error::Error for Explained<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl<E: Diagnostic> Diagnostic for Explained<E> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.error.code()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match &self.help {
            Some(help) => Some(Box::new(help)),
            None => self.error.help(),
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.error.labels()
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.error.source_code()
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.error.related()
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.error.diagnostic_source()
    }
}
