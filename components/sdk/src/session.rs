//! What a session id is, for every front end and store.
//!
//! A front end that knows who is asking (the HTTP gateway, which
//! authenticates each client) names a session `PRINCIPAL:ID`: the
//! principal's part is made by the front end, never taken from the
//! client, so two clients naming the same id reach sessions of their own.
//! A front end with one person (the command line) names it by `ID` alone.
//! State kept for a principal (notes in a key-value store) is scoped by
//! [`principal`].

/// What separates the principal from the id.
pub const SEPARATOR: char = ':';

/// The session `id` of `principal`.
pub fn scoped(principal: &str, id: &str) -> String {
    format!("{principal}{SEPARATOR}{id}")
}

/// The principal a session belongs to, if its front end named one.
pub fn principal(session: &str) -> Option<&str> {
    session
        .split_once(SEPARATOR)
        .map(|(principal, _)| principal)
        .filter(|principal| !principal.is_empty())
}

#[cfg(test)]
mod tests {
    use super::{principal, scoped};

    #[test]
    fn the_principal_is_the_part_the_front_end_made() {
        assert_eq!(principal(&scoped("k1a2", "chat-7")), Some("k1a2"));
        assert_eq!(principal(&scoped("k1a2", "a:b")), Some("k1a2"));
        assert_eq!(principal("default"), None);
        assert_eq!(principal(":x"), None);
    }
}
