//! Deny by default, for every interface: a component that imports
//! anything asterbot cannot guard (WASI 0.3, another WASI version, a
//! draft proposal, a vendor's interface) does not compose, and the
//! diagnostic names the import and the annotation that would pass it on
//! (for another version of a guarded kind's interface, such as WASI 0.3
//! sockets, what that would hand over); with that annotation (the
//! control) it composes, and the audit shows the import as unguarded, in
//! its kind's column where it has one. The components are made here, in process,
//! from WIT.

use asterbot_composer::{ComponentStore, Recipe, compose};
use wit_component::{ComponentEncoder, StringEncoding, dummy_module, embed_component_metadata};
use wit_parser::{ManglingAndAbi, Resolve};

/// The imports no guard stands for, and the guarded kind each is kin to
/// (another version of its interfaces): what it reaches unguarded when
/// allowed, which the audit shows in that kind's column.
const UNGUARDABLE: &[(&str, Option<&str>)] = &[
    ("wasi:sockets/types@0.3.0", Some("sockets")),
    ("wasi:http/client@0.3.0", Some("hosts")),
    ("wasi:filesystem/types@0.3.0", Some("dirs")),
    ("wasi:cli/environment@0.3.0", Some("env")),
    ("wasi:cli/stdin@0.3.0", Some("stdio")),
    ("wasi:config/store@0.2.0-draft", None),
    ("wasi:keyvalue/store@0.2.0-draft2", Some("keyvalue")),
    ("wasi:http/incoming-handler@0.2.6", Some("hosts")),
    ("acme:vault/secrets@1.0.0", None),
];

/// A tool component that also imports `import`, as bytes.
fn tool_importing(import: &str) -> Vec<u8> {
    let (path, version) = import.split_once('@').unwrap();
    let (package, interface) = path.split_once('/').unwrap();
    let mut resolve = Resolve::default();
    resolve
        .push_str("keyvalue.wit", asterbot_bundle::KEYVALUE_WIT)
        .unwrap();
    resolve
        .push_str("agent.wit", asterbot_bundle::AGENT_WIT)
        .unwrap();
    resolve
        .push_str(
            "import.wit",
            &format!(
                "package {package}@{version};\ninterface {interface} {{ probe: func() -> string; }}"
            ),
        )
        .unwrap();
    let world = resolve
        .push_str(
            "probe.wit",
            &format!(
                "package test:probe;\nworld probe {{ import {import}; export asterbot:agent/tools@0.2.0; }}"
            ),
        )
        .unwrap();
    let world = resolve.select_world(&[world], Some("probe")).unwrap();
    let mut module = dummy_module(&resolve, world, ManglingAndAbi::Standard32);
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8).unwrap();
    ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .encode()
        .unwrap()
}

fn recipe(annotation: &str) -> String {
    format!(
        r#"package test:deny;
let llm = new asterbot:llm-script {{ ... }};
{annotation}let probe = new test:probe {{ ... }};
let context = new asterbot:context-end {{ ... }};
let history = new asterbot:history-ephemeral {{ llm: llm.llm, ... }};
let core = new asterbot:core {{ llm: llm.llm, tools: probe.tools, context: context.context, history: history.history, ... }};
let cli = new asterbot:cli {{ agent: core.agent, ... }};
export cli["wasi:cli/run@0.2.0"];
"#
    )
}

#[test]
fn an_import_no_guard_stands_for_composes_only_when_the_recipe_allows_it() {
    let dir = tempfile::tempdir().unwrap();
    for &(import, kin) in UNGUARDABLE {
        let path = dir.path().join("probe.wasm");
        std::fs::write(&path, tool_importing(import)).unwrap();
        let store = ComponentStore::new()
            .override_package("test:probe", &path)
            .unwrap();
        let unversioned = import.split('@').next().unwrap();

        let refused =
            compose(&Recipe::from_source("deny.wac", recipe("")), &store).expect_err(import);
        let help = refused.help().map(|h| h.to_string()).unwrap_or_default();
        let message = format!("{refused} / {help}");
        assert!(
            message.contains(&format!(
                "`probe` (`test:probe`) imports `{import}`, which asterbot cannot guard"
            )),
            "{message}"
        );
        match kin {
            // Kin to a guarded kind: allowing it is no small footnote, and
            // the refusal says what it would hand over.
            Some(kind) => assert!(
                message.contains(&format!(
                    "with `@allow-import` would hand it whatever {kind} the runtime grants the whole artifact"
                )),
                "{message}"
            ),
            None => assert!(
                message.contains(&format!("/// @allow-import {unversioned}")),
                "{message}"
            ),
        }
        assert!(!message.contains("--no-guards"), "{message}");

        let allowed = format!("/// @allow-import {unversioned}\n");
        let composed = compose(&Recipe::from_source("allow.wac", recipe(&allowed)), &store)
            .unwrap_or_else(|e| panic!("{import}: {e:?}"));
        let probe = composed
            .audit
            .instances
            .iter()
            .find(|reach| reach.instance == "probe")
            .unwrap();
        assert_eq!(probe.unguarded, [import.to_string()], "{import}");
        if let Some(kind) = kin {
            let reach = serde_json::to_value(probe).unwrap();
            assert_eq!(
                reach[kind]["access"], "unguarded",
                "{import}: the audit shows {kind} unguarded: {reach}"
            );
        }
    }
}
