//! The table of cases every user of the rule is tested against: this
//! crate, the runner's grants and the HTTP guard run the same rows.

/// One request and whether a pattern allows it.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// The pattern, as a flag or an annotation writes it.
    pub pattern: &'static str,
    /// The request's scheme (`None`: the runtime's default, https).
    pub scheme: Option<&'static str>,
    /// The request's authority.
    pub authority: &'static str,
    /// Whether the request is allowed.
    pub allowed: bool,
}

const fn case(
    pattern: &'static str,
    scheme: Option<&'static str>,
    authority: &'static str,
    allowed: bool,
) -> Case {
    Case {
        pattern,
        scheme,
        authority,
        allowed,
    }
}

const HTTPS: Option<&str> = Some("https");
const HTTP: Option<&str> = Some("http");

/// The shared table.
pub const CASES: &[Case] = &[
    case("api.openai.com", HTTPS, "api.openai.com", true),
    case("api.openai.com", HTTPS, "API.OpenAI.com", true),
    case("api.openai.com", HTTPS, "api.openai.com:8443", true),
    case("api.openai.com", HTTPS, "openai.com", false),
    case("api.openai.com", HTTPS, "api.openai.com.evil.com", false),
    case("api.openai.com", HTTPS, "api.openai.com.", false),
    case("api.openai.com", HTTPS, "api.openai.com@evil.com", false),
    case("api.openai.com", HTTPS, "evil.com@api.openai.com", false),
    case("api.openai.com", HTTPS, "api.openai.com:", false),
    case("api.openai.com", HTTPS, "api.openai.com:99999", false),
    // A port in the pattern: the request's, or its scheme's.
    case("api.openai.com:443", HTTPS, "api.openai.com", true),
    case("api.openai.com:443", None, "api.openai.com", true),
    case("api.openai.com:443", HTTP, "api.openai.com", false),
    case("api.openai.com:443", HTTPS, "api.openai.com:443", true),
    case("localhost:11434", HTTP, "localhost:11434", true),
    case("localhost:11434", HTTP, "localhost", false),
    case("localhost:11434", HTTP, "localhost:11435", false),
    case("127.0.0.1:8080", HTTP, "127.0.0.1:8080", true),
    case("127.0.0.1:8080", HTTP, "127.0.0.1:9090", false),
    case("127.0.0.1", HTTP, "127.0.0.1:9090", true),
    case("127.0.0.1", HTTP, "2130706433", false),
    case("127.0.0.1", HTTP, "0x7f.0.0.1", false),
    case("127.0.0.1", HTTP, "127.1", false),
    // Wildcards: subdomains only, with a port if the pattern has one.
    case("*.example.com", HTTPS, "a.example.com", true),
    case("*.example.com", HTTPS, "a.b.example.com", true),
    case("*.example.com", HTTPS, "A.Example.COM", true),
    case("*.example.com", HTTPS, "example.com", false),
    case("*.example.com", HTTPS, "badexample.com", false),
    case("*.example.com", HTTPS, ".example.com", false),
    case("*.example.com:8080", HTTP, "a.example.com:8080", true),
    case("*.example.com:8080", HTTP, "a.example.com", false),
    case("*.example.com:8080", HTTP, "a.example.com:9090", false),
    // IPv6.
    case("[::1]", HTTP, "[::1]:8080", true),
    case("[::1]:8080", HTTP, "[::1]:8080", true),
    case("[::1]:8080", HTTP, "[::1]:8081", false),
    case("[::1]", HTTP, "[::2]", false),
    // Anything.
    case("*", HTTPS, "anything.at.all", true),
    case("*", HTTP, "anything:1", true),
    case("*", HTTP, "evil.com@bad", false),
];

/// Text that is no pattern.
pub const BAD_PATTERNS: &[&str] = &[
    "https://x.com",
    "x.com/path",
    "",
    "*.",
    "user@x.com",
    "x.com:",
    "x.com:http",
    "x.com:70000",
    "x..com",
    "-x.com",
    "x_y.com",
    "*.*.com",
    "[::1",
    "x.com.",
];
