//! One module per world of `wit/agent.wit`, so a component of any kind
//! (a model, a front end, a join, a tracer) is written against the SDK
//! instead of generating bindings of its own.
//!
//! Every interface is generated once: the imports in [`interfaces`], each
//! export in one place. A world's module gathers what it imports and
//! exports, laid out as `wit-bindgen` lays out a world (`asterbot::agent::…`
//! and `exports::asterbot::agent::…`), and `export_<world>_world!` exports a
//! type as that world. The records of `types` are the same Rust types on
//! every side, so a component that imports `llm` and exports it again (a
//! fallback, a tracer) hands a `ChatRequest` on as it is.
//!
//! ```ignore
//! use asterbot_sdk::worlds::llm_provider::exports::asterbot::agent::llm::Guest;
//! use asterbot_sdk::types::{ChatReply, ChatRequest, LlmError};
//! struct Model;
//! impl Guest for Model {
//!     fn chat(request: ChatRequest) -> Result<ChatReply, LlmError> { todo!() }
//! }
//! asterbot_sdk::export_llm_provider_world!(Model);
//! ```
//!
//! A component's world is what it ends up importing and exporting: an
//! import it never calls is left out of the component, so the SDK can
//! describe every interface to every component. The one exception is the
//! two joins: both name their imports `first` and `rest`, with different
//! interfaces, and one binary cannot describe both. So `tools-join` and
//! `context-join` generate those two imports themselves (from their world,
//! with `types` taken from here); everything else they use comes from the
//! SDK.

#![allow(missing_docs)]

/// Every interface of the package, as imports: generated once and shared
/// by every world.
pub mod interfaces {
    wit_bindgen::generate!({
        inline: "
            package asterbot:sdk;
            world interfaces {
                import asterbot:agent/types@0.2.0;
                import asterbot:agent/llm@0.2.0;
                import asterbot:agent/tools@0.2.0;
                import asterbot:agent/context@0.2.0;
                import asterbot:agent/history@0.2.0;
                import asterbot:agent/approval@0.2.0;
                import asterbot:agent/approval-queue@0.2.0;
                import asterbot:agent/person@0.2.0;
                import asterbot:agent/agent@0.2.0;
                import asterbot:agent/tracing@0.2.0;
                import wasi:keyvalue/store@0.2.0-draft;
                import wasi:keyvalue/atomics@0.2.0-draft;
            }
        ",
        path: "../../wit",
        generate_all,
    });
}

/// Each export, generated once, for every world that has it (the `llm`
/// export comes with the `llm-fallback` world).
#[doc(hidden)]
pub mod exported {
    pub mod tools {
        wit_bindgen::generate!({
            inline: "
                package asterbot:sdk;
                world tools-export { export asterbot:agent/tools@0.2.0; }
            ",
            path: "../../wit",
            with: {
                "asterbot:agent/types@0.2.0": crate::worlds::interfaces::asterbot::agent::types,
            },
            pub_export_macro: true,
            export_macro_name: "export",
            default_bindings_module: "asterbot_sdk::worlds::exported::tools",
        });
    }
    pub mod context {
        wit_bindgen::generate!({
            inline: "
                package asterbot:sdk;
                world context-export { export asterbot:agent/context@0.2.0; }
            ",
            path: "../../wit",
            with: {
                "asterbot:agent/types@0.2.0": crate::worlds::interfaces::asterbot::agent::types,
            },
            pub_export_macro: true,
            export_macro_name: "export",
            default_bindings_module: "asterbot_sdk::worlds::exported::context",
        });
    }
    pub mod history {
        wit_bindgen::generate!({
            inline: "
                package asterbot:sdk;
                world history-export { export asterbot:agent/history@0.2.0; }
            ",
            path: "../../wit",
            with: {
                "asterbot:agent/types@0.2.0": crate::worlds::interfaces::asterbot::agent::types,
            },
            pub_export_macro: true,
            export_macro_name: "export",
            default_bindings_module: "asterbot_sdk::worlds::exported::history",
        });
    }
    pub mod agent {
        wit_bindgen::generate!({
            inline: "
                package asterbot:sdk;
                world agent-export { export asterbot:agent/agent@0.2.0; }
            ",
            path: "../../wit",
            with: {
                "asterbot:agent/types@0.2.0": crate::worlds::interfaces::asterbot::agent::types,
            },
            pub_export_macro: true,
            export_macro_name: "export",
            default_bindings_module: "asterbot_sdk::worlds::exported::agent",
        });
    }
    pub mod tracing {
        wit_bindgen::generate!({
            inline: "
                package asterbot:sdk;
                world tracing-export { export asterbot:agent/tracing@0.2.0; }
            ",
            path: "../../wit",
            pub_export_macro: true,
            export_macro_name: "export",
            default_bindings_module: "asterbot_sdk::worlds::exported::tracing",
        });
    }
    pub mod approval {
        wit_bindgen::generate!({
            inline: "
                package asterbot:sdk;
                world approval-export { export asterbot:agent/approval@0.2.0; }
            ",
            path: "../../wit",
            pub_export_macro: true,
            export_macro_name: "export",
            default_bindings_module: "asterbot_sdk::worlds::exported::approval",
        });
    }
    pub mod person {
        wit_bindgen::generate!({
            inline: "
                package asterbot:sdk;
                world person-export { export asterbot:agent/person@0.2.0; }
            ",
            path: "../../wit",
            pub_export_macro: true,
            export_macro_name: "export",
            default_bindings_module: "asterbot_sdk::worlds::exported::person",
        });
    }
    pub mod approval_queue {
        wit_bindgen::generate!({
            inline: "
                package asterbot:sdk;
                world approval-queue-export { export asterbot:agent/approval-queue@0.2.0; }
            ",
            path: "../../wit",
            pub_export_macro: true,
            export_macro_name: "export",
            default_bindings_module: "asterbot_sdk::worlds::exported::approval_queue",
        });
    }
}

/// World `core`: the agent loop.
pub mod core {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{
                context, history, llm, tools, types,
            };
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::agent::exports::asterbot::agent::agent;
            }
        }
    }
}

/// World `llm-provider`: a language model provider.
pub mod llm_provider {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::llm_fallback::exports::asterbot::agent::llm;
            }
        }
    }
}

/// World `llm-fallback`: a model that answers with `llm` and, when that
/// fails, with `fallback`. It also generates the `llm` export of every
/// world.
pub mod llm_fallback {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "asterbot:agent/llm-fallback",
        with: {
            "asterbot:agent/types@0.2.0": crate::worlds::interfaces::asterbot::agent::types,
            "asterbot:agent/llm@0.2.0": crate::worlds::interfaces::asterbot::agent::llm,
        },
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "asterbot_sdk::worlds::llm_fallback",
    });
    /// What the world imports, besides `fallback`.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{llm, types};
        }
    }
}

/// World `tool`: a tool (or several) that imports no other tool.
pub mod tool {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::tools::exports::asterbot::agent::tools;
            }
        }
    }
}

/// World `tools-and-context`: tools plus a prompt section (memory, persona, skills).
pub mod tools_and_context {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::context::exports::asterbot::agent::context;
                pub use crate::worlds::exported::tools::exports::asterbot::agent::tools;
            }
        }
    }
}

/// World `context-provider`: a provider of prompt sections.
pub mod context_provider {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::context::exports::asterbot::agent::context;
            }
        }
    }
}

/// World `middleware`: a middleware over the tools it imports.
pub mod middleware {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{tools, types};
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::tools::exports::asterbot::agent::tools;
            }
        }
    }
}

/// World `approval-gate`: the approval gate, a middleware that asks a person first.
pub mod approval_gate {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{approval, tools, types};
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::tools::exports::asterbot::agent::tools;
            }
        }
    }
}

/// World `tools-join`: two sets of tools as one. Its imports `first` and `rest` are generated by the component (see the module docs).
pub mod tools_join {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::tools::exports::asterbot::agent::tools;
            }
        }
    }
}

/// World `context-join`: two providers of prompt sections as one. Its imports `first` and `rest` are generated by the component (see the module docs).
pub mod context_join {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::context::exports::asterbot::agent::context;
            }
        }
    }
}

/// World `tools-end`: no tools.
pub mod tools_end {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::tools::exports::asterbot::agent::tools;
            }
        }
    }
}

/// World `context-end`: no prompt sections.
pub mod context_end {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::context::exports::asterbot::agent::context;
            }
        }
    }
}

/// World `history-provider`: a history store.
pub mod history_provider {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::history::exports::asterbot::agent::history;
            }
        }
    }
}

/// World `history-compacting`: a history store that summarises older turns with the model.
pub mod history_compacting {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{llm, types};
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::history::exports::asterbot::agent::history;
            }
        }
    }
}

/// World `front-end`: a front end that drives the agent.
pub mod front_end {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{agent, types};
        }
    }
}

/// World `agent-tool`: another agent as a tool (a sub-agent).
pub mod agent_tool {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{agent, types};
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::tools::exports::asterbot::agent::tools;
            }
        }
    }
}

/// World `tracer`: the tracer, which collects and exports a turn's spans.
pub mod tracer {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::tracing::exports::asterbot::agent::tracing;
            }
        }
    }
}

/// World `trace-llm`: tracing middleware on an `llm` edge.
pub mod trace_llm {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{llm, tracing, types};
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::llm_fallback::exports::asterbot::agent::llm;
            }
        }
    }
}

/// World `trace-tools`: tracing middleware on a `tools` edge.
pub mod trace_tools {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{tools, tracing, types};
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::tools::exports::asterbot::agent::tools;
            }
        }
    }
}

/// World `trace-agent`: tracing middleware on an `agent` edge.
pub mod trace_agent {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{agent, tracing, types};
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::agent::exports::asterbot::agent::agent;
            }
        }
    }
}

/// World `approver`: the part of a front end that asks a person for approvals.
pub mod approver {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::approval::exports::asterbot::agent::approval;
            }
        }
    }
}

/// World `approver-terminal`: the terminal's asking part, for its own
/// approvals and other approvers' questions.
pub mod approver_terminal {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::approval::exports::asterbot::agent::approval;
                pub use crate::worlds::exported::person::exports::asterbot::agent::person;
            }
        }
    }
}

/// World `approver-asking`: an approver that asks the person through the
/// front end.
pub mod approver_asking {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{person, types};
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::approval::exports::asterbot::agent::approval;
            }
        }
    }
}

/// World `approver-stored`: approvals kept in a key-value store for a person who answers later.
pub mod approver_stored {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::types;
        }
    }
    /// What the world exports: implement each `Guest`.
    pub mod exports {
        pub mod asterbot {
            pub mod agent {
                pub use crate::worlds::exported::approval::exports::asterbot::agent::approval;
                pub use crate::worlds::exported::approval_queue::exports::asterbot::agent::approval_queue;
            }
        }
    }
}

/// World `front-end-queued`: a front end whose approvals wait in a store.
pub mod front_end_queued {
    /// What the world imports.
    pub mod asterbot {
        pub mod agent {
            pub use crate::worlds::interfaces::asterbot::agent::{
                agent, approval_queue, tools, types,
            };
        }
    }
}

/// World `keyvalue-client`: a component keeping its state in a key-value store.
pub mod keyvalue_client {
    pub use crate::worlds::interfaces::wasi;
}

/// Exports `$ty` as world `core`.
#[macro_export]
macro_rules! export_core_world {
    ($ty:ident) => {
        $crate::worlds::exported::agent::export!($ty with_types_in $crate::worlds::exported::agent);
    };
}

/// Exports `$ty` as world `llm-provider`.
#[macro_export]
macro_rules! export_llm_provider_world {
    ($ty:ident) => {
        $crate::worlds::llm_fallback::export!($ty with_types_in $crate::worlds::llm_fallback);
    };
}

/// Exports `$ty` as world `llm-fallback`.
#[macro_export]
macro_rules! export_llm_fallback_world {
    ($ty:ident) => {
        $crate::worlds::llm_fallback::export!($ty with_types_in $crate::worlds::llm_fallback);
    };
}

/// Exports `$ty` as world `tool`.
#[macro_export]
macro_rules! export_tool_world {
    ($ty:ident) => {
        $crate::worlds::exported::tools::export!($ty with_types_in $crate::worlds::exported::tools);
    };
}

/// Exports `$ty` as world `tools-and-context`.
#[macro_export]
macro_rules! export_tools_and_context_world {
    ($ty:ident) => {
        $crate::worlds::exported::tools::export!($ty with_types_in $crate::worlds::exported::tools);
        $crate::worlds::exported::context::export!($ty with_types_in $crate::worlds::exported::context);
    };
}

/// Exports `$ty` as world `context-provider`.
#[macro_export]
macro_rules! export_context_provider_world {
    ($ty:ident) => {
        $crate::worlds::exported::context::export!($ty with_types_in $crate::worlds::exported::context);
    };
}

/// Exports `$ty` as world `middleware`.
#[macro_export]
macro_rules! export_middleware_world {
    ($ty:ident) => {
        $crate::worlds::exported::tools::export!($ty with_types_in $crate::worlds::exported::tools);
    };
}

/// Exports `$ty` as world `approval-gate`.
#[macro_export]
macro_rules! export_approval_gate_world {
    ($ty:ident) => {
        $crate::worlds::exported::tools::export!($ty with_types_in $crate::worlds::exported::tools);
    };
}

/// Exports `$ty` as world `tools-join`.
#[macro_export]
macro_rules! export_tools_join_world {
    ($ty:ident) => {
        $crate::worlds::exported::tools::export!($ty with_types_in $crate::worlds::exported::tools);
    };
}

/// Exports `$ty` as world `context-join`.
#[macro_export]
macro_rules! export_context_join_world {
    ($ty:ident) => {
        $crate::worlds::exported::context::export!($ty with_types_in $crate::worlds::exported::context);
    };
}

/// Exports `$ty` as world `tools-end`.
#[macro_export]
macro_rules! export_tools_end_world {
    ($ty:ident) => {
        $crate::worlds::exported::tools::export!($ty with_types_in $crate::worlds::exported::tools);
    };
}

/// Exports `$ty` as world `context-end`.
#[macro_export]
macro_rules! export_context_end_world {
    ($ty:ident) => {
        $crate::worlds::exported::context::export!($ty with_types_in $crate::worlds::exported::context);
    };
}

/// Exports `$ty` as world `history-provider`.
#[macro_export]
macro_rules! export_history_provider_world {
    ($ty:ident) => {
        $crate::worlds::exported::history::export!($ty with_types_in $crate::worlds::exported::history);
    };
}

/// Exports `$ty` as world `history-compacting`.
#[macro_export]
macro_rules! export_history_compacting_world {
    ($ty:ident) => {
        $crate::worlds::exported::history::export!($ty with_types_in $crate::worlds::exported::history);
    };
}

/// Exports `$ty` as world `agent-tool`.
#[macro_export]
macro_rules! export_agent_tool_world {
    ($ty:ident) => {
        $crate::worlds::exported::tools::export!($ty with_types_in $crate::worlds::exported::tools);
    };
}

/// Exports `$ty` as world `tracer`.
#[macro_export]
macro_rules! export_tracer_world {
    ($ty:ident) => {
        $crate::worlds::exported::tracing::export!($ty with_types_in $crate::worlds::exported::tracing);
    };
}

/// Exports `$ty` as world `trace-llm`.
#[macro_export]
macro_rules! export_trace_llm_world {
    ($ty:ident) => {
        $crate::worlds::llm_fallback::export!($ty with_types_in $crate::worlds::llm_fallback);
    };
}

/// Exports `$ty` as world `trace-tools`.
#[macro_export]
macro_rules! export_trace_tools_world {
    ($ty:ident) => {
        $crate::worlds::exported::tools::export!($ty with_types_in $crate::worlds::exported::tools);
    };
}

/// Exports `$ty` as world `trace-agent`.
#[macro_export]
macro_rules! export_trace_agent_world {
    ($ty:ident) => {
        $crate::worlds::exported::agent::export!($ty with_types_in $crate::worlds::exported::agent);
    };
}

/// Exports `$ty` as world `approver`.
#[macro_export]
macro_rules! export_approver_world {
    ($ty:ident) => {
        $crate::worlds::exported::approval::export!($ty with_types_in $crate::worlds::exported::approval);
    };
}

/// Exports `$ty` as world `approver-terminal`.
#[macro_export]
macro_rules! export_approver_terminal_world {
    ($ty:ident) => {
        $crate::worlds::exported::approval::export!($ty with_types_in $crate::worlds::exported::approval);
        $crate::worlds::exported::person::export!($ty with_types_in $crate::worlds::exported::person);
    };
}

/// Exports `$ty` as world `approver-asking`.
#[macro_export]
macro_rules! export_approver_asking_world {
    ($ty:ident) => {
        $crate::worlds::exported::approval::export!($ty with_types_in $crate::worlds::exported::approval);
    };
}

/// Exports `$ty` as world `approver-stored`.
#[macro_export]
macro_rules! export_approver_stored_world {
    ($ty:ident) => {
        $crate::worlds::exported::approval::export!($ty with_types_in $crate::worlds::exported::approval);
        $crate::worlds::exported::approval_queue::export!($ty with_types_in $crate::worlds::exported::approval_queue);
    };
}
