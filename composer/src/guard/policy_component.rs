//! A component that exports `asterbot:guard/policy` with the allowed
//! values baked in as constant data, synthesised at compose time: nothing
//! a component can change at run time decides what a guard lets through.

use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, ExportKind, ExportSection, Function, FunctionSection,
    Instruction, MemorySection, MemoryType, Module, TypeSection, ValType,
};
use wit_component::{ComponentEncoder, StringEncoding, embed_component_metadata};
use wit_parser::{Resolve, WorldId};

/// The guard WIT packages, in dependency order.
const WIT: [(&str, &str); 8] = [
    ("io.wit", include_str!("../../../wit/guards/deps/io/io.wit")),
    (
        "clocks.wit",
        include_str!("../../../wit/guards/deps/clocks/clocks.wit"),
    ),
    (
        "cli.wit",
        include_str!("../../../wit/guards/deps/cli/cli.wit"),
    ),
    (
        "filesystem.wit",
        include_str!("../../../wit/guards/deps/filesystem/filesystem.wit"),
    ),
    (
        "http.wit",
        include_str!("../../../wit/guards/deps/http/http.wit"),
    ),
    (
        "sockets.wit",
        include_str!("../../../wit/guards/deps/sockets/sockets.wit"),
    ),
    (
        "keyvalue.wit",
        include_str!("../../../wit/deps/keyvalue/keyvalue.wit"),
    ),
    ("guards.wit", include_str!("../../../wit/guards/guards.wit")),
];

/// The export the guards import.
const EXPORT: &str = "asterbot:guard/policy@0.1.0#allowed";

/// Where the return area (list pointer and length) lives.
const RETURN_AREA: u32 = 8;

/// The component exporting a policy that allows `allowed`. Made once per
/// list in a process: composing makes it, and the audit of the result
/// makes it again to compare.
pub fn policy_component(allowed: &[String]) -> Result<Vec<u8>, String> {
    type Made = std::collections::HashMap<Vec<String>, Vec<u8>>;
    static MADE: std::sync::OnceLock<std::sync::Mutex<Made>> = std::sync::OnceLock::new();
    let made = MADE.get_or_init(Default::default);
    if let Some(bytes) = made.lock().map_err(|e| e.to_string())?.get(allowed) {
        return Ok(bytes.clone());
    }
    let bytes = make_policy_component(allowed)?;
    made.lock()
        .map_err(|e| e.to_string())?
        .insert(allowed.to_vec(), bytes.clone());
    Ok(bytes)
}

fn make_policy_component(allowed: &[String]) -> Result<Vec<u8>, String> {
    let mut module = core_module(allowed);
    let (resolve, world) = policy_world()?;
    embed_component_metadata(&mut module, resolve, *world, StringEncoding::UTF8)
        .map_err(|e| e.to_string())?;
    ComponentEncoder::default()
        .module(&module)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| format!("{e:#}"))
}

/// The guard WIT's `policy-provider` world, parsed once: a recipe has a
/// policy component per guarded instance, and parsing was most of
/// composing them.
fn policy_world() -> Result<&'static (Resolve, WorldId), String> {
    static WORLD: std::sync::OnceLock<Result<(Resolve, WorldId), String>> =
        std::sync::OnceLock::new();
    WORLD
        .get_or_init(|| {
            let mut resolve = Resolve::default();
            let mut package = None;
            for (name, text) in WIT {
                package = Some(resolve.push_str(name, text).map_err(|e| e.to_string())?);
            }
            let package = package.ok_or("the guard WIT is empty")?;
            let world = resolve
                .select_world(&[package], Some("policy-provider"))
                .map_err(|e| e.to_string())?;
            Ok((resolve, world))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The allowed list of a policy component, read back from its data: the
/// inverse of [`policy_component`] (the audit checks that re-synthesising
/// the list gives the very same bytes). `None` if `bytes` holds no such
/// data.
pub fn decode_policy(bytes: &[u8]) -> Option<Vec<String>> {
    let data = wasmparser::Parser::new(0)
        .parse_all(bytes)
        .find_map(|payload| match payload.ok()? {
            wasmparser::Payload::DataSection(reader) => reader.into_iter().next()?.ok(),
            _ => None,
        })?;
    let data = data.data;
    let word = |at: usize| -> Option<usize> {
        let bytes: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        Some(u32::from_le_bytes(bytes) as usize)
    };
    let base = RETURN_AREA as usize;
    let (list, count) = (word(0)?.checked_sub(base)?, word(4)?);
    (0..count)
        .map(|i| {
            let (start, len) = (
                word(list + 8 * i)?.checked_sub(base)?,
                word(list + 8 * i + 4)?,
            );
            let text = data.get(start..start.checked_add(len)?)?;
            String::from_utf8(text.to_vec()).ok()
        })
        .collect()
}

/// A core module whose `allowed` returns the canonical-ABI list of
/// `allowed`, laid out as data: the return area, the (pointer, length)
/// pairs, then the bytes of the strings.
fn core_module(allowed: &[String]) -> Vec<u8> {
    let list = RETURN_AREA + 8;
    let strings = list + 8 * allowed.len() as u32;
    let mut data = Vec::new();
    data.extend_from_slice(&list.to_le_bytes());
    data.extend_from_slice(&(allowed.len() as u32).to_le_bytes());
    let mut offset = strings;
    for name in allowed {
        data.extend_from_slice(&offset.to_le_bytes());
        data.extend_from_slice(&(name.len() as u32).to_le_bytes());
        offset += name.len() as u32;
    }
    for name in allowed {
        data.extend_from_slice(name.as_bytes());
    }
    let pages = (u64::from(offset) / 65536) + 1;

    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    module.section(&types);
    let mut functions = FunctionSection::new();
    functions.function(0);
    module.section(&functions);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: pages,
        maximum: Some(pages),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export(EXPORT, ExportKind::Func, 0);
    module.section(&exports);
    let mut code = CodeSection::new();
    let mut function = Function::new([]);
    function.instruction(&Instruction::I32Const(RETURN_AREA as i32));
    function.instruction(&Instruction::End);
    code.function(&function);
    module.section(&code);
    let mut segments = DataSection::new();
    segments.active(0, &ConstExpr::i32_const(RETURN_AREA as i32), data);
    module.section(&segments);
    module.finish()
}

#[cfg(test)]
mod tests {
    use super::{decode_policy, policy_component};

    #[test]
    fn the_synthesised_policy_is_a_valid_component_that_reads_back() {
        let allowed = vec![
            "OPENAI_API_KEY".to_string(),
            "ASTERBOT_MODEL=x y".to_string(),
        ];
        let bytes = policy_component(&allowed).unwrap();
        wasmparser::Validator::new().validate_all(&bytes).unwrap();
        assert_eq!(decode_policy(&bytes), Some(allowed));
        let empty = policy_component(&[]).unwrap();
        assert_eq!(decode_policy(&empty), Some(Vec::new()));
    }
}
