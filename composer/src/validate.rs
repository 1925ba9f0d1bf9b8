//! Validating the composed component, with function bodies checked on all
//! cores.
//!
//! Validation is most of the cost of composing (every function body of
//! every embedded module is type-checked), and the bodies are independent
//! of each other, so they are checked in parallel once the module-level
//! structure has been validated in order.

use wasmparser::{
    BinaryReaderError, FuncToValidate, FuncValidatorAllocations, FunctionBody, Parser,
    ValidPayload, Validator, ValidatorResources, WasmFeatures,
};

/// A function body and what it needs to be validated.
type PendingBody<'a> = (FuncToValidate<ValidatorResources>, FunctionBody<'a>);

/// Validates `bytes` as a component with every WebAssembly feature, as
/// `wac-graph` does, with the bodies spread over the available cores.
pub fn validate(bytes: &[u8]) -> Result<(), BinaryReaderError> {
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    let mut bodies: Vec<PendingBody> = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let ValidPayload::Func(function, body) = validator.payload(&payload?)? {
            bodies.push((function, body));
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads == 1 || bodies.len() < 2 {
        return validate_bodies(bodies);
    }
    // Deal the bodies round-robin so big and small ones spread evenly.
    let mut shares: Vec<Vec<PendingBody>> = (0..threads).map(|_| Vec::new()).collect();
    for (index, body) in bodies.into_iter().enumerate() {
        shares[index % threads].push(body);
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = shares
            .into_iter()
            .map(|share| scope.spawn(move || validate_bodies(share)))
            .collect();
        workers.into_iter().try_for_each(|worker| {
            worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    })
}

fn validate_bodies(bodies: Vec<PendingBody>) -> Result<(), BinaryReaderError> {
    let mut allocations = FuncValidatorAllocations::default();
    for (function, body) in bodies {
        let mut validator = function.into_validator(allocations);
        validator.validate(&body)?;
        allocations = validator.into_allocations();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;
    use wasm_encoder::{
        CodeSection, Component, Function, FunctionSection, Instruction, Module, ModuleSection,
        TypeSection, ValType,
    };

    /// A component embedding one module with `count` functions returning
    /// an i32; function `broken` (if any) adds with an empty stack.
    fn component(count: u32, broken: Option<u32>) -> Vec<u8> {
        let mut types = TypeSection::new();
        types.ty().function([], [ValType::I32]);
        let mut functions = FunctionSection::new();
        let mut code = CodeSection::new();
        for index in 0..count {
            functions.function(0);
            let mut body = Function::new([]);
            if Some(index) == broken {
                body.instruction(&Instruction::I32Add);
            } else {
                body.instruction(&Instruction::I32Const(index as i32));
            }
            body.instruction(&Instruction::End);
            code.function(&body);
        }
        let mut module = Module::new();
        module.section(&types).section(&functions).section(&code);
        let mut component = Component::new();
        component.section(&ModuleSection(&module));
        component.finish()
    }

    #[test]
    fn valid_bodies_pass_on_every_thread() {
        assert!(validate(&component(64, None)).is_ok());
    }

    #[test]
    fn an_invalid_body_is_found_wherever_it_is() {
        for broken in [0, 31, 63] {
            let error = validate(&component(64, Some(broken))).unwrap_err();
            assert!(error.to_string().contains("type mismatch"), "{error}");
        }
    }
}
