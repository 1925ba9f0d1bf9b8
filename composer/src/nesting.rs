//! A guard against recipes nested so deeply that parsing them would
//! exhaust the stack: the WAC parser is recursive, so depth is checked
//! before parsing.

/// The deepest nesting of brackets a recipe may use.
pub const MAX_NESTING: usize = 64;

/// The byte offset where nesting first goes deeper than [`MAX_NESTING`].
pub fn too_deep_at(source: &str) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr_newline(bytes, i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = source[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 2);
                continue;
            }
            b'"' => {
                i = source[i + 1..]
                    .find('"')
                    .map_or(bytes.len(), |end| i + 1 + end + 1);
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'>') => i += 1,
            b'(' | b'{' | b'[' | b'<' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b')' | b'}' | b']' | b'>' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_recipes_pass() {
        let recipe = "package a:b;\n// ((((( in a comment\nlet x = new a:c { y: (z).w, ... };\ntype f = func(a: list<list<u8>>) -> u8;\nexport x[\"(((\"];";
        assert_eq!(too_deep_at(recipe), None);
    }

    #[test]
    fn deep_nesting_is_found_where_it_starts() {
        let recipe = format!(
            "package a:b;\nlet x = {}y{};",
            "(".repeat(1000),
            ")".repeat(1000)
        );
        assert_eq!(too_deep_at(&recipe), Some(21 + MAX_NESTING));
    }
}
