//! Tool `http_fetch`: GETs an `http(s)://` URL and returns its text. HTML
//! is reduced to readable text; other text types come back as they are;
//! binary content is refused. At most `ASTERBOT_FETCH_MAX_BYTES` (default
//! 1 MiB) are read and [`MAX_CHARS`] characters returned.
//!
//! The runner decides which hosts are reachable (`--allow-host`).

mod text;

use asterbot_http::{Request, Url, send};

/// Variable capping the bytes read from the response.
const MAX_BYTES_ENV: &str = "ASTERBOT_FETCH_MAX_BYTES";
/// Characters of text given to the model.
pub const MAX_CHARS: usize = 12_000;

struct HttpFetch;

/// The page to fetch.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Input {
    /// An http:// or https:// URL
    url: String,
}

impl asterbot_sdk::Tool for HttpFetch {
    const NAME: &'static str = "http_fetch";
    const DESCRIPTION: &'static str = "Fetches a web page or text file with an HTTP GET and returns its text (HTML reduced to plain text, long pages cut).";
    type Args = Input;

    fn run(input: Input) -> Result<String, String> {
        let url = Url::parse(&input.url)?;
        let mut request =
            Request::get(url).header("accept", "text/html, text/*;q=0.9, application/json;q=0.8");
        request.max_body = max_bytes()?;
        let response = send(&request).map_err(|e| e.to_string())?;
        if !(200..300).contains(&response.status) {
            return Err(format!("GET {} answered {}", input.url, response.status));
        }
        let kind = response
            .header("content-type")
            .unwrap_or("text/plain")
            .to_ascii_lowercase();
        let body = response.text();
        let text = if kind.contains("html") {
            text::from_html(&body)
        } else if kind.starts_with("text/") || kind.contains("json") || kind.contains("xml") {
            body
        } else {
            return Err(format!(
                "{} is `{kind}`, not text; it is not shown",
                input.url
            ));
        };
        let mut text = text::cap(&text, MAX_CHARS);
        if response.truncated {
            text.push_str("\n[only the start of the response was read]");
        }
        Ok(text)
    }
}

fn max_bytes() -> Result<usize, String> {
    match std::env::var(MAX_BYTES_ENV) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{MAX_BYTES_ENV}=`{text}`: expected a number of bytes")),
        Err(_) => Ok(1 << 20),
    }
}

asterbot_sdk::export_tool!(HttpFetch);
