//! `asterbot new`: a component project of your own, outside this
//! repository, that builds, tests and composes as it is.

use super::files::write_atomically;
use clap::{Args, ValueEnum};
use miette::{IntoDiagnostic, WrapErr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Start a component of your own, ready to build and try.
///
/// It holds the WIT it is built against, its source (with a test), a
/// build command, and a recipe to try it in.
///
/// Rust projects carry a copy of asterbot's SDK (`asterbot/sdk`), so they
/// build with nothing but crates.io; Python needs `componentize-py`,
/// JavaScript `npm` (for `componentize-js`).
#[derive(Args)]
#[command(after_help = "Examples:
  asterbot new tool word-count --lang rust
  asterbot new tool word-count --lang python --dir ./tools/word-count
  asterbot new tool word-count --lang js")]
pub struct NewArgs {
    /// What to make.
    kind: Kind,

    /// Its name: lower-case words joined by dashes (`word-count`); the
    /// model calls the tool by it with underscores (`word_count`).
    name: String,

    /// The language to write it in.
    #[arg(long, value_enum)]
    lang: Lang,

    /// The folder to create [default: ./NAME].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,

    /// Rust: depend on the SDK at this path instead of a copy in the
    /// project.
    #[arg(long, value_name = "PATH")]
    sdk: Option<PathBuf>,

    /// What the tool does, for the model.
    #[arg(long, default_value = "Upper-cases the text it is given.")]
    description: String,
}

/// What `asterbot new` makes.
#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    /// A tool: exports `asterbot:agent/tools`, imports no other tool.
    Tool,
}

/// A language a component can be written in.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Lang {
    /// Rust, with asterbot's SDK (wit-bindgen).
    Rust,
    /// Python, with componentize-py.
    Python,
    /// JavaScript, with componentize-js.
    Js,
}

/// The files of the SDK a Rust project gets a copy of.
const SDK: [(&str, &str); 9] = [
    ("Cargo.toml", include_str!("new/rust/sdk-Cargo.toml")),
    (
        "src/lib.rs",
        include_str!("../../components/sdk/src/lib.rs"),
    ),
    (
        "src/approval.rs",
        include_str!("../../components/sdk/src/approval.rs"),
    ),
    (
        "src/chain.rs",
        include_str!("../../components/sdk/src/chain.rs"),
    ),
    (
        "src/edges.rs",
        include_str!("../../components/sdk/src/edges.rs"),
    ),
    (
        "src/session.rs",
        include_str!("../../components/sdk/src/session.rs"),
    ),
    (
        "src/schema.rs",
        include_str!("../../components/sdk/src/schema.rs"),
    ),
    (
        "src/text.rs",
        include_str!("../../components/sdk/src/text.rs"),
    ),
    (
        "src/worlds.rs",
        include_str!("../../components/sdk/src/worlds.rs"),
    ),
];

impl Lang {
    /// The project's own files: path and template.
    fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::Rust => &[
                ("Cargo.toml", include_str!("new/rust/Cargo.toml")),
                ("src/lib.rs", include_str!("new/rust/lib.rs")),
            ],
            Lang::Python => &[
                ("app.py", include_str!("new/python/app.py")),
                ("test_app.py", include_str!("new/python/test_app.py")),
                (
                    "asterbot_tool.py",
                    include_str!("../../components/sdk-python/asterbot_tool.py"),
                ),
            ],
            Lang::Js => &[
                ("tool.js", include_str!("new/js/tool.js")),
                ("test.mjs", include_str!("new/js/test.mjs")),
                ("package.json", include_str!("new/js/package.json")),
                (
                    "asterbot_tool.js",
                    include_str!("../../components/sdk-js/asterbot_tool.js"),
                ),
                (
                    "build.mjs",
                    include_str!("../../components/sdk-js/build.mjs"),
                ),
            ],
        }
    }

    /// The commands that build the component, and the file they make.
    fn build(self, name: &str) -> (&'static str, String) {
        match self {
            Lang::Rust => (
                "cargo build --release --target wasm32-wasip2",
                format!(
                    "target/wasm32-wasip2/release/{}.wasm",
                    name.replace('-', "_")
                ),
            ),
            Lang::Python => (
                "componentize-py -d wit -w tool componentize app -o {name}.wasm",
                format!("{name}.wasm"),
            ),
            Lang::Js => ("npm install && npm run build", format!("{name}.wasm")),
        }
    }

    /// The command that runs the project's test.
    fn test(self) -> &'static str {
        match self {
            // `--lib`: the component's own exports do not link natively.
            Lang::Rust => "cargo test --lib",
            Lang::Python => {
                "componentize-py -d wit -w tool bindings . && python3 -m unittest test_app"
            }
            Lang::Js => "npm test",
        }
    }
}

impl NewArgs {
    /// Writes the project and says what to do next.
    pub fn exec(self) -> miette::Result<ExitCode> {
        let Kind::Tool = self.kind;
        if !is_name(&self.name) {
            miette::bail!(
                "`{}` is not a component name: use lower-case words of letters and digits joined by single dashes, starting with a letter (e.g. word-count)",
                self.name
            );
        }
        if self.description.contains(['"', '\\', '\n']) {
            miette::bail!("the description may not contain quotes, backslashes or line breaks");
        }
        let dir = self
            .dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(&self.name));
        if dir
            .read_dir()
            .is_ok_and(|mut entries| entries.next().is_some())
        {
            miette::bail!(
                "`{}` exists and is not empty: choose another folder with --dir, or remove it",
                dir.display()
            );
        }
        let tool = self.name.replace('-', "_");
        let sdk = match (&self.sdk, self.lang) {
            (Some(path), Lang::Rust) => std::path::absolute(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot resolve `{}`", path.display()))?,
            (None, Lang::Rust) => {
                for (file, text) in SDK {
                    let text = text.replace("{{version}}", asterbot_bundle::VERSION);
                    write(&dir.join("asterbot/sdk").join(file), &text)?;
                }
                PathBuf::from("asterbot/sdk")
            }
            (Some(_), _) => {
                return Err(super::UsageError::report(
                    "--sdk is for Rust projects",
                    "leave it out for --lang python or --lang js",
                ));
            }
            (None, _) => PathBuf::new(),
        };
        let fill = |template: &str| {
            template
                .replace("{{name}}", &self.name)
                .replace("{{tool}}", &tool)
                .replace("{{description}}", &self.description)
                .replace("{{sdk}}", &sdk.display().to_string())
        };
        super::wit::write_package(&dir.join("wit"))?;
        for (file, template) in self.lang.files() {
            write(&dir.join(file), &fill(template))?;
        }
        let (build, built) = self.lang.build(&self.name);
        let build = build.replace("{name}", &self.name);
        write(&dir.join("agent.wac"), &recipe(&self.name, &tool))?;
        write(&dir.join("script.json"), &SCRIPT.replace("{{tool}}", &tool))?;
        write(
            &dir.join("README.md"),
            &readme(&self.name, &tool, &build, self.lang.test(), &built),
        )?;
        write(&dir.join(".gitignore"), GITIGNORE)?;
        println!(
            "created {} ({} tool `{tool}`)",
            dir.display(),
            lang_name(self.lang)
        );
        println!("\n  cd {}", dir.display());
        println!("  {}        # test", self.lang.test());
        println!("  {build}        # build {built}");
        println!(
            "  asterbot compose agent.wac --dep local:{}={built} -o agent.wasm",
            self.name
        );
        println!(
            "  asterbot run agent.wasm --dir .::/project --env ASTERBOT_SCRIPT=/project/script.json \"use {tool} on hello\""
        );
        println!(
            "\nIn a recipe of your own:\n\n{}",
            recipe_lines(&self.name, &tool)
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// Whether `name` is a WIT identifier (`word-count`).
fn is_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "a Rust",
        Lang::Python => "a Python",
        Lang::Js => "a JavaScript",
    }
}

/// Creates `path`'s folder and writes `text` to it.
fn write(path: &Path, text: &str) -> miette::Result<()> {
    let folder = path.parent().expect("a project file is in a folder");
    std::fs::create_dir_all(folder)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot create `{}`", folder.display()))?;
    write_atomically(path, text.as_bytes())
}

/// The lines to paste into a recipe: the tool, and joining it to others.
fn recipe_lines(name: &str, tool: &str) -> String {
    format!(
        "    /// {tool}: a tool of my own (grants: add @allow-... lines here).\n    let {name} = new local:{name} {{ ... }};\n    let tools = new asterbot:tools-join {{ first: {name}.tools, rest: other-tools.tools, ... }};\n"
    )
}

/// A recipe to try the tool in: the scripted model, this tool, the
/// command line.
fn recipe(name: &str, tool: &str) -> String {
    format!(
        "// Try the tool `{tool}` with the scripted model (script.json):
//
//   asterbot compose agent.wac --dep local:{name}=FILE.wasm -o agent.wasm
//   asterbot run agent.wasm --dir .::/project --env ASTERBOT_SCRIPT=/project/script.json \"use {tool} on hello\"
package local:try-{name};

/// @allow-env ASTERBOT_SCRIPT
/// @allow-dir /project
let llm = new asterbot:llm-script {{ ... }};

/// The tool; it gets no grants unless annotations here give them.
let {name} = new local:{name} {{ ... }};

let no-context = new asterbot:context-end {{ ... }};
let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{
    llm: llm.llm,
    tools: {name}.tools,
    context: no-context.context,
    history: history.history,
    ...
}};

let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli[\"wasi:cli/run@0.2.0\"];
"
    )
}

/// The scripted model's rules: "use TOOL on TEXT" calls the tool.
const SCRIPT: &str = r#"{ "rules": [
  { "on": "tool", "match": "^error: (.*)", "reply": "The tool failed: {1}" },
  { "on": "tool", "reply": "The tool said: {result}" },
  { "match": "(?i)^use {{tool}} on (.*)", "call": [{ "tool": "{{tool}}", "arguments": { "text": "{1}" } }] },
  { "reply": "Say \"use {{tool}} on some text\"." }
] }
"#;

const GITIGNORE: &str =
    "target/\nnode_modules/\n*.wasm\n__pycache__/\nwit_world/\ncomponentize_py_*\npoll_loop.py\n";

/// The project's README: what is where, and the commands.
fn readme(name: &str, tool: &str, build: &str, test: &str, built: &str) -> String {
    format!(
        "# {name}

An [asterbot](https://github.com/asterbot) tool, `{tool}`, as a WebAssembly
component of the `asterbot:agent/tool` world (`wit/`, written by
`asterbot wit --out wit`).

    {test}    # test
    {build}    # build {built}
    asterbot targets {built}    # check it fits the `tool` world

Try it in an agent (`agent.wac`, with the scripted model of `script.json`):

    asterbot compose agent.wac --dep local:{name}={built} -o agent.wasm
    asterbot run agent.wasm --dir .::/project --env ASTERBOT_SCRIPT=/project/script.json \"use {tool} on hello\"

In a recipe of your own:

{}
Errors are values: what the tool returns as an error (or raises, or
throws) goes back to the model, and the turn goes on. The tool can reach
nothing but what its recipe's annotations grant (`@allow-host`,
`@allow-env`, `@allow-dir`, ...).
",
        recipe_lines(name, tool)
    )
}

#[cfg(test)]
mod tests {
    /// The SDK copy a project gets depends on what the repository's SDK
    /// is built with.
    #[test]
    fn the_sdk_copy_uses_the_workspace_versions() {
        let workspace = include_str!("../../components/Cargo.toml");
        let copy = include_str!("new/rust/sdk-Cargo.toml");
        for dependency in ["wit-bindgen", "serde", "serde_json", "schemars"] {
            let line = |text: &str| {
                text.lines()
                    .find(|l| l.starts_with(&format!("{dependency} =")))
                    .map(str::to_string)
            };
            assert_eq!(line(copy), line(workspace), "{dependency}");
        }
    }

    /// Every source file of the SDK goes into the copy.
    #[test]
    fn the_sdk_copy_has_every_source_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("components/sdk/src");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| format!("src/{}", entry.unwrap().file_name().to_string_lossy()))
            .collect();
        files.sort();
        let mut copied: Vec<String> = super::SDK
            .iter()
            .map(|(path, _)| path.to_string())
            .filter(|path| path.starts_with("src/"))
            .collect();
        copied.sort();
        assert_eq!(copied, files);
    }

    #[test]
    fn names_are_wit_identifiers() {
        assert!(super::is_name("word-count2"));
        for bad in ["Word", "word_count", "-a", "a-", "a--b", "2a", ""] {
            assert!(!super::is_name(bad), "{bad}");
        }
    }
}
