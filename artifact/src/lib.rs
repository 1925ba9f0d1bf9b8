//! What a composed agent carries beside its code: custom sections at the
//! top level of the component, which the composer writes and the runner
//! and the audit read. One typed name per section, so the writer and the
//! readers cannot drift apart.

#![deny(missing_docs)]

/// A custom section asterbot writes into the artifacts it composes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Which recipe instance each core module belongs to (JSON), so a
    /// fault or a line of standard error names the instance.
    Modules,
    /// Where the artifact came from (JSON): the asterbot that composed it,
    /// the recipe, every component with its digest. A record for
    /// reviewers, never a policy.
    Provenance,
}

impl Section {
    /// The section's name in the binary.
    pub const fn name(self) -> &'static str {
        match self {
            Section::Modules => "asterbot-modules",
            Section::Provenance => "asterbot-provenance",
        }
    }

    /// The section's data at the top level of the component `bytes`,
    /// skipping over every nested module and component (so it is cheap
    /// even for a large artifact); `None` if it is not there.
    pub fn read(self, bytes: &[u8]) -> Option<&[u8]> {
        use wasmparser::{Chunk, Parser, Payload};
        let mut parser = Parser::new(0);
        let mut offset = 0;
        loop {
            let Ok(Chunk::Parsed { consumed, payload }) = parser.parse(&bytes[offset..], true)
            else {
                return None;
            };
            offset += consumed;
            match payload {
                Payload::ModuleSection {
                    unchecked_range, ..
                }
                | Payload::ComponentSection {
                    unchecked_range, ..
                } => offset = usize::try_from(unchecked_range.end).unwrap_or(bytes.len()),
                Payload::CustomSection(section) if section.name() == self.name() => {
                    return Some(section.data());
                }
                Payload::End(_) => return None,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Section;

    /// A custom section: id 0, size, name, data (sizes under 128 bytes).
    fn custom(name: &str, data: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend(name.as_bytes());
        body.extend(data);
        let mut section = vec![0x00, body.len() as u8];
        section.extend(body);
        section
    }

    #[test]
    fn a_section_is_read_from_the_top_level_only() {
        // A core module (component section id 1) holding a section of the
        // same name, which must not be taken for the artifact's.
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend(custom("asterbot-modules", b"inner"));
        let mut component = b"\0asm\x0d\0\x01\0".to_vec();
        component.extend([0x01, module.len() as u8]);
        component.extend(&module);
        component.extend(custom("asterbot-modules", b"outer"));
        assert_eq!(Section::Modules.read(&component), Some(&b"outer"[..]));
        // Control: a section that is not there is not found.
        assert_eq!(Section::Provenance.read(&component), None);
        assert_eq!(Section::Modules.read(b"not wasm"), None);
    }
}
