//! One tool call through the static link against a host-mediated dynamic
//! dispatch, in process. `cargo xtask bench run` runs it with
//! `ASTERBOT_BENCH_LINKED` naming `test:tool-caller` composed with a tool
//! (the calculator; `tools-end`, which only answers that it has no such
//! tool, for the cost of the call alone), and `ASTERBOT_BENCH_TOOL`
//! naming that tool alone. Both must answer the same.
//!
//! - Static: the caller component calls the calculator's `tools.call`
//!   through its import, `times` times in one call from the host, so the
//!   figure per call has no host in it.
//! - Dynamic, as a host that routes calls between components does it (the
//!   upstream asterbot's way): a call arrives as JSON; the host parses it,
//!   turns the arguments into component values by the function's own
//!   parameter types, calls the tool's export dynamically, and turns the
//!   result back into JSON. At its best: compiled and instantiated once,
//!   the function looked up once, nothing cloned that need not be.
//!
//! Each prints `| what | N ns |` lines on stderr. To see where a call's
//! time goes: `ASTERBOT_BENCH_PERFMAP=1 perf record` on this benchmark.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wasmtime::component::types::Type;
use wasmtime::component::{Component, Linker, ResourceTable, Val};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The call both make (the calculator answers 42).
const TOOL: &str = "calculator";
const ARGUMENTS: &str = r#"{"expression":"6 * 7"}"#;

struct State {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

fn main() -> anyhow::Result<()> {
    let (Some(linked), Some(tool)) = (
        std::env::var_os("ASTERBOT_BENCH_LINKED"),
        std::env::var_os("ASTERBOT_BENCH_TOOL"),
    ) else {
        eprintln!("set ASTERBOT_BENCH_LINKED and ASTERBOT_BENCH_TOOL (cargo xtask bench does)");
        return Ok(());
    };
    // `ASTERBOT_BENCH_RUNS` (1 in a smoke run) scales the calls.
    // (`ASTERBOT_BENCH_CALLS` sets it, for a profile.)
    let calls: u32 = match std::env::var("ASTERBOT_BENCH_RUNS").as_deref() {
        Ok("1") => 10,
        _ => std::env::var("ASTERBOT_BENCH_CALLS")
            .ok()
            .and_then(|calls| calls.parse().ok())
            .unwrap_or(20_000),
    };
    // `ASTERBOT_BENCH_PERFMAP=1` names the compiled functions for `perf`
    // (in /tmp/perf-PID.map).
    let mut config = wasmtime::Config::new();
    if std::env::var_os("ASTERBOT_BENCH_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let engine = Engine::new(&config)?;
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    let mut store = Store::new(
        &engine,
        State {
            ctx: WasiCtx::builder().build(),
            table: ResourceTable::new(),
        },
    );

    // Static: the caller loops inside the component.
    let linked = Component::from_file(&engine, linked)
        .map_err(|e| anyhow::anyhow!("the linked caller: {e:#}"))?;
    let instance = linker.instantiate(&mut store, &linked)?;
    let calls_export = instance
        .get_export_index(&mut store, None, "test:tool-caller/calls")
        .context("no test:tool-caller/calls export")?;
    let repeat_export = instance
        .get_export_index(&mut store, Some(&calls_export), "repeat")
        .context("no repeat function")?;
    let repeat = instance.get_typed_func::<(u32, &str, &str), (Result<String, String>,)>(
        &mut store,
        repeat_export,
    )?;
    let mut call_static = |times: u32| -> anyhow::Result<(Duration, Value)> {
        let start = Instant::now();
        let (answer,) = repeat.call(&mut store, (times, TOOL, ARGUMENTS))?;
        let elapsed = start.elapsed();
        let answer = match answer {
            Ok(text) => json!({ "ok": text }),
            Err(text) => json!({ "error": text }),
        };
        Ok((elapsed, answer))
    };
    call_static(100)?;
    let (static_time, static_answer) = call_static(calls)?;
    let static_call = static_time / calls;
    // Dynamic: JSON through the host.
    let name = std::path::Path::new(&tool)
        .file_stem()
        .map_or(String::new(), |stem| stem.to_string_lossy().into_owned());
    let tool =
        Component::from_file(&engine, tool).map_err(|e| anyhow::anyhow!("the tool: {e:#}"))?;
    let instance = linker.instantiate(&mut store, &tool)?;
    let tools_export = instance
        .get_export_index(&mut store, None, "asterbot:agent/tools@0.2.0")
        .context("no asterbot:agent/tools export")?;
    let call_export = instance
        .get_export_index(&mut store, Some(&tools_export), "call")
        .context("no call function")?;
    let func = instance
        .get_func(&mut store, call_export)
        .context("call is not a function")?;
    let ty = func.ty(&store);
    let params: Vec<Type> = ty.params().map(|(_, ty)| ty).collect();
    let request = json!({ "function": "call", "args": [TOOL, ARGUMENTS] }).to_string();
    let mut results = vec![Val::Bool(false); ty.results().len()];
    let mut call_dynamic = |times: u32| -> anyhow::Result<(Duration, Value)> {
        let start = Instant::now();
        let mut reply = String::new();
        for _ in 0..times {
            let request: Value = serde_json::from_str(&request)?;
            let args = request["args"].as_array().context("no args")?;
            if args.len() != params.len() {
                bail!("{} arguments for {} parameters", args.len(), params.len());
            }
            let args = args
                .iter()
                .zip(&params)
                .map(|(arg, ty)| to_val(arg, ty))
                .collect::<anyhow::Result<Vec<Val>>>()?;
            func.call(&mut store, &args, &mut results)?;
            reply = to_json(&results[0]).to_string();
        }
        Ok((start.elapsed(), serde_json::from_str::<Value>(&reply)?))
    };
    call_dynamic(100)?;
    let (dynamic_time, dynamic_answer) = call_dynamic(calls)?;
    let dynamic_call = dynamic_time / calls;
    if static_answer != dynamic_answer {
        bail!("the tool answered {static_answer} linked, {dynamic_answer} dispatched");
    }

    eprintln!(
        "| one call of `{name}` through the static link | {} ns |",
        static_call.as_nanos()
    );
    eprintln!(
        "| the same call by host-mediated dynamic dispatch (JSON to values and back) | {} ns |",
        dynamic_call.as_nanos()
    );
    Ok(())
}

/// A component value of type `ty` from JSON.
fn to_val(value: &Value, ty: &Type) -> anyhow::Result<Val> {
    Ok(match ty {
        Type::Bool => Val::Bool(value.as_bool().context("not a bool")?),
        Type::String => Val::String(value.as_str().context("not a string")?.to_string()),
        Type::U32 => Val::U32(u32::try_from(value.as_u64().context("not a u32")?)?),
        Type::U64 => Val::U64(value.as_u64().context("not a u64")?),
        Type::S64 => Val::S64(value.as_i64().context("not an s64")?),
        Type::Float64 => Val::Float64(value.as_f64().context("not a number")?),
        Type::List(list) => Val::List(
            value
                .as_array()
                .context("not a list")?
                .iter()
                .map(|item| to_val(item, &list.ty()))
                .collect::<anyhow::Result<_>>()?,
        ),
        Type::Option(option) => Val::Option(match value {
            Value::Null => None,
            value => Some(Box::new(to_val(value, &option.ty())?)),
        }),
        Type::Record(record) => Val::Record(
            record
                .fields()
                .map(|field| {
                    Ok((
                        field.name.to_string(),
                        to_val(&value[field.name], &field.ty)?,
                    ))
                })
                .collect::<anyhow::Result<_>>()?,
        ),
        other => bail!("no JSON conversion for {other:?} in this benchmark"),
    })
}

/// JSON for a component value.
fn to_json(value: &Val) -> Value {
    match value {
        Val::Bool(b) => json!(b),
        Val::String(s) => json!(s),
        Val::U32(n) => json!(n),
        Val::U64(n) => json!(n),
        Val::S64(n) => json!(n),
        Val::Float64(n) => json!(n),
        Val::List(items) => Value::Array(items.iter().map(to_json).collect()),
        Val::Option(option) => option.as_deref().map_or(Value::Null, to_json),
        Val::Record(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| (name.clone(), to_json(value)))
                .collect(),
        ),
        Val::Result(Ok(value)) => json!({ "ok": value.as_deref().map_or(Value::Null, to_json) }),
        Val::Result(Err(value)) => {
            json!({ "error": value.as_deref().map_or(Value::Null, to_json) })
        }
        other => json!(format!("{other:?}")),
    }
}
