//! The imported and exported `llm` interfaces have the same types, but
//! the bindings give each side its own Rust types; these move values
//! across. (`message` and `tool-spec` come from `types` and are shared.)

use crate::asterbot::agent::llm as import;
use crate::exports::asterbot::agent::llm as export;

/// A request as received, in the imported interface's types.
pub fn request(request: export::ChatRequest) -> import::ChatRequest {
    import::ChatRequest {
        messages: request.messages,
        tools: request.tools,
        options: import::ChatOptions {
            model: request.options.model,
            max_tokens: request.options.max_tokens,
            temperature: request.options.temperature,
        },
    }
}

/// A reply of either imported model, in the exported interface's types.
pub fn reply(reply: import::ChatReply) -> export::ChatReply {
    export::ChatReply {
        message: reply.message,
        stop_reason: match reply.stop_reason {
            import::StopReason::EndTurn => export::StopReason::EndTurn,
            import::StopReason::ToolCalls => export::StopReason::ToolCalls,
            import::StopReason::MaxTokens => export::StopReason::MaxTokens,
            import::StopReason::Other => export::StopReason::Other,
        },
        usage: export::Usage {
            input_tokens: reply.usage.input_tokens,
            output_tokens: reply.usage.output_tokens,
        },
    }
}

/// An error of either imported model, in the exported interface's types.
pub fn error(error: import::LlmError) -> export::LlmError {
    match error {
        import::LlmError::Auth(m) => export::LlmError::Auth(m),
        import::LlmError::RateLimited(m) => export::LlmError::RateLimited(m),
        import::LlmError::Unavailable(m) => export::LlmError::Unavailable(m),
        import::LlmError::BadRequest(m) => export::LlmError::BadRequest(m),
        import::LlmError::InvalidResponse(m) => export::LlmError::InvalidResponse(m),
    }
}
