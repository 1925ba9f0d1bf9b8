//! What the user lets the agent reach: directories and environment
//! variables. Nothing is granted unless named here.

use anyhow::{Context, bail};
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

/// Everything granted to one run.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    pub(crate) dirs: Vec<DirGrant>,
    pub(crate) env: Vec<EnvGrant>,
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

    /// Grants an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Grants {
        self.env.push(EnvGrant {
            key: key.into(),
            value: value.into(),
        });
        self
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
}
