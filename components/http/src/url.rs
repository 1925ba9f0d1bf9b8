//! The parts of an `http://` or `https://` URL that `wasi:http` wants.

/// A URL split for `wasi:http`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Whether the scheme is `https`.
    pub https: bool,
    /// Host and optional port, e.g. `api.openai.com` or `127.0.0.1:8080`.
    pub authority: String,
    /// Path and query, starting with `/`.
    pub path_and_query: String,
}

impl Url {
    /// Splits `text`; only `http` and `https` URLs with a host are accepted.
    pub fn parse(text: &str) -> Result<Url, String> {
        let text = text.trim();
        let (https, rest) = if let Some(rest) = strip_prefix_ignore_case(text, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(text, "http://") {
            (false, rest)
        } else {
            return Err(format!("`{text}` is not an http:// or https:// URL"));
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.is_empty()
            || authority.contains('@')
            || authority.contains(char::is_whitespace)
        {
            return Err(format!("`{text}` has no valid host"));
        }
        let path_and_query = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        Ok(Url {
            https,
            authority: authority.to_string(),
            path_and_query,
        })
    }

    /// The host without the port.
    pub fn host(&self) -> &str {
        if self.authority.starts_with('[') {
            return self
                .authority
                .split_inclusive(']')
                .next()
                .unwrap_or_default();
        }
        self.authority.split(':').next().unwrap_or_default()
    }

    /// `self` with `path` appended to its path, keeping one `/` between.
    pub fn join(&self, path: &str) -> Url {
        let base = self.path_and_query.trim_end_matches('/');
        Url {
            path_and_query: format!("{base}/{}", path.trim_start_matches('/')),
            ..self.clone()
        }
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::Url;

    #[test]
    fn urls_split_into_authority_and_path() {
        let url = Url::parse("https://api.openai.com/v1").unwrap();
        assert_eq!(
            (
                url.https,
                url.authority.as_str(),
                url.path_and_query.as_str()
            ),
            (true, "api.openai.com", "/v1")
        );
        assert_eq!(
            url.join("/chat/completions").path_and_query,
            "/v1/chat/completions"
        );
        let url = Url::parse("HTTP://127.0.0.1:8080?q=1#frag").unwrap();
        assert_eq!(
            (url.https, url.host(), url.path_and_query.as_str()),
            (false, "127.0.0.1", "/?q=1")
        );
        assert_eq!(Url::parse("http://[::1]:80/x").unwrap().host(), "[::1]");
        for bad in [
            "ftp://x",
            "x.com",
            "http://",
            "https://user@x.com/",
            "http:// x",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }
}
