//! What the user lets the agent reach: directories, environment variables
//! and HTTP hosts. Nothing is granted unless named here.

use anyhow::{Context, bail};
use host_pattern::HostPattern;
use std::path::PathBuf;
use std::str::FromStr;

/// A host directory made visible to the agent.
#[derive(Debug, Clone, PartialEq)]
pub struct DirGrant {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the agent sees it.
    pub guest: String,
    /// Whether the agent may only read.
    pub read_only: bool,
}

impl FromStr for DirGrant {
    type Err = anyhow::Error;

    /// `HOST[::GUEST][:ro]`; the guest path defaults to the host path.
    fn from_str(text: &str) -> anyhow::Result<DirGrant> {
        let (text, read_only) = match text.strip_suffix(":ro") {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        let (host, guest) = match text.split_once("::") {
            Some((host, guest)) => (host, guest),
            None => (text, text),
        };
        if host.is_empty() || guest.is_empty() {
            bail!("expected HOST[::GUEST][:ro], e.g. `./state::/state`, got `{text}`");
        }
        Ok(DirGrant {
            host: PathBuf::from(host),
            guest: guest.to_string(),
            read_only,
        })
    }
}

/// An environment variable given to the agent.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvGrant {
    /// The variable's name.
    pub key: String,
    /// Its value.
    pub value: String,
}

impl FromStr for EnvGrant {
    type Err = anyhow::Error;

    /// `KEY=VALUE`, or `KEY` to pass the runner's own value through.
    fn from_str(text: &str) -> anyhow::Result<EnvGrant> {
        let (key, value) = match text.split_once('=') {
            Some((key, value)) => (key.to_string(), value.to_string()),
            None => {
                let value = std::env::var(text)
                    .with_context(|| format!("`--env {text}` passes `{text}` through, but it is not set here; use `--env {text}=VALUE`"))?;
                (text.to_string(), value)
            }
        };
        if key.is_empty() {
            bail!("expected KEY[=VALUE], got `{text}`");
        }
        Ok(EnvGrant { key, value })
    }
}

/// Reads an env file: `KEY=VALUE` lines; blank lines and `#` comments are
/// skipped, `export ` in front and quotes around the value are allowed.
/// Errors name the file and the line.
pub fn read_env_file(path: &std::path::Path) -> anyhow::Result<Vec<EnvGrant>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read env file `{}`", path.display()))?;
    parse_env_file(&text).map_err(|(line, why)| anyhow::anyhow!("{}:{line}: {why}", path.display()))
}

/// The grants of an env file's `text`, or the 1-based line that is wrong
/// and why.
fn parse_env_file(text: &str) -> Result<Vec<EnvGrant>, (usize, String)> {
    let mut grants = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err((index + 1, format!("expected KEY=VALUE, got `{line}`")));
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err((index + 1, format!("`{key}` is not a variable name")));
        }
        let value = value.trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
            .unwrap_or(value);
        grants.push(EnvGrant {
            key: key.to_string(),
            value: unquoted.to_string(),
        });
    }
    Ok(grants)
}

/// A host the agent may send HTTP requests to: `example.com`,
/// `*.example.com` (any subdomain, not the domain itself), `127.0.0.1:8080`
/// (that port only), or `*` (any host). The rule is the `host-pattern`
/// crate's, which the HTTP guards inside an artifact follow too.
#[derive(Debug, Clone, PartialEq)]
pub struct HostGrant {
    pattern: HostPattern,
}

impl FromStr for HostGrant {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<HostGrant> {
        HostPattern::parse(text)
            .map(|pattern| HostGrant { pattern })
            .map_err(|why| anyhow::anyhow!("`{text}`: {why}; expected {}", host_pattern::EXAMPLES))
    }
}

impl HostGrant {
    /// Whether a request with `scheme` to `authority` (`host[:port]`) is
    /// allowed by this grant.
    pub fn allows(&self, scheme: Option<&str>, authority: &str) -> bool {
        self.pattern.allows_request(scheme, authority)
    }
}

/// Everything granted to one run.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    pub(crate) dirs: Vec<DirGrant>,
    pub(crate) env: Vec<EnvGrant>,
    pub(crate) hosts: Vec<HostGrant>,
    pub(crate) network: bool,
    pub(crate) keyvalue: Option<crate::keyvalue::KeyValueStore>,
}

impl Grants {
    /// No grants at all.
    pub fn new() -> Grants {
        Grants::default()
    }

    /// Grants a directory.
    pub fn dir(mut self, grant: DirGrant) -> Grants {
        self.dirs.push(grant);
        self
    }

    /// Grants an environment variable; a later grant of the same name
    /// replaces the earlier one.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Grants {
        let (key, value) = (key.into(), value.into());
        self.env.retain(|grant| grant.key != key);
        self.env.push(EnvGrant { key, value });
        self
    }

    /// Lets the agent send HTTP requests to the hosts `grant` matches.
    pub fn host(mut self, grant: HostGrant) -> Grants {
        self.hosts.push(grant);
        self
    }

    /// Lets the agent open TCP and UDP sockets to any address and look up
    /// names. A composed agent's guards still deny sockets to every
    /// instance; this matters for an artifact composed without them.
    pub fn network(mut self) -> Grants {
        self.network = true;
        self
    }

    /// Gives the agent `store` as its `wasi:keyvalue` store. Without, the
    /// agent's `open` fails with `no-such-store`.
    pub fn keyvalue(mut self, store: crate::keyvalue::KeyValueStore) -> Grants {
        self.keyvalue = Some(store);
        self
    }

    /// Whether an HTTP request with `scheme` to `authority` is granted.
    pub fn allows_host(&self, scheme: Option<&str>, authority: &str) -> bool {
        self.hosts
            .iter()
            .any(|grant| grant.allows(scheme, authority))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_grants_parse() {
        let grant: DirGrant = "./state::/state".parse().unwrap();
        assert_eq!(
            (grant.host, grant.guest.as_str(), grant.read_only),
            (PathBuf::from("./state"), "/state", false)
        );
        let grant: DirGrant = "data:ro".parse().unwrap();
        assert_eq!((grant.guest.as_str(), grant.read_only), ("data", true));
        assert!("::/x".parse::<DirGrant>().is_err());
    }

    #[test]
    fn env_grants_parse() {
        let grant: EnvGrant = "A=b=c".parse().unwrap();
        assert_eq!((grant.key.as_str(), grant.value.as_str()), ("A", "b=c"));
        let error = "ASTERBOT_SURELY_UNSET_VAR".parse::<EnvGrant>().unwrap_err();
        assert!(
            error
                .to_string()
                .contains("--env ASTERBOT_SURELY_UNSET_VAR=VALUE")
        );
        assert!("=x".parse::<EnvGrant>().is_err());
    }

    #[test]
    fn env_files_parse_with_comments_exports_and_quotes() {
        let text = "# keys\n\nexport OPENAI_API_KEY=\"sk-1 2\"\nASTERBOT_MODEL = ollama/llama3.2\nEMPTY=\n";
        let grants = parse_env_file(text).unwrap();
        let pairs: Vec<(&str, &str)> = grants
            .iter()
            .map(|g| (g.key.as_str(), g.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("OPENAI_API_KEY", "sk-1 2"),
                ("ASTERBOT_MODEL", "ollama/llama3.2"),
                ("EMPTY", "")
            ]
        );
        assert_eq!(parse_env_file("A=1\nnonsense\n").unwrap_err().0, 2);
        assert_eq!(parse_env_file("BAD KEY=1").unwrap_err().0, 1);
    }

    #[test]
    fn host_grants_follow_the_shared_table() {
        for case in host_pattern::cases::CASES {
            let grants = Grants::new().host(case.pattern.parse().unwrap());
            assert_eq!(
                grants.allows_host(case.scheme, case.authority),
                case.allowed,
                "{case:?}"
            );
        }
        for bad in host_pattern::cases::BAD_PATTERNS {
            assert!(bad.parse::<HostGrant>().is_err(), "{bad}");
        }
    }
}
