//! The flags that say what a running agent may reach and use, shared by
//! `run` and `serve`.

use crate::manifest::Manifest;
use asterbot_runtime::{
    CompileCache, DirGrant, EnvGrant, Grants, HostGrant, KeyValueStore, Limits, parse_size,
    read_env_file,
};
use clap::Args;
use miette::{IntoDiagnostic, WrapErr};
use std::path::PathBuf;
use std::time::Duration;

/// Grants (nothing by default), limits and the compile cache.
#[derive(Args)]
pub struct RuntimeArgs {
    /// Grant a directory: HOST[::GUEST][:ro] (GUEST defaults to HOST).
    #[arg(long = "dir", value_name = "HOST[::GUEST][:ro]")]
    pub dirs: Vec<DirGrant>,

    /// Grant an environment variable: KEY=VALUE, or KEY to pass ours through.
    #[arg(long = "env", value_name = "KEY[=VALUE]")]
    env: Vec<EnvGrant>,

    /// Grant the variables of a file of KEY=VALUE lines (# comments).
    #[arg(long = "env-file", value_name = "FILE")]
    env_files: Vec<PathBuf>,

    /// Allow HTTP requests to a host: `api.openai.com`, `*.example.com`,
    /// `127.0.0.1:11434`. Requests to other hosts are denied.
    #[arg(long = "allow-host", value_name = "HOST")]
    hosts: Vec<HostGrant>,

    /// Allow HTTP requests to any host.
    #[arg(long = "allow-http")]
    allow_http: bool,

    /// Allow TCP and UDP sockets to any address, and name lookups. The
    /// guards of a composed agent still deny sockets to each instance.
    #[arg(long = "allow-network")]
    allow_network: bool,

    /// Largest size of any one memory of the agent (e.g. 256M, 1G).
    #[arg(long = "max-memory", value_name = "SIZE", default_value = "512M", value_parser = parse_size)]
    max_memory: usize,

    /// Longest a turn may take by the wall clock (e.g. 30s, 10m), from the
    /// moment its line is handed over (or its request arrives); waiting on
    /// the host (the network, a sleep) counts, waiting for you does not.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    timeout: Duration,

    /// Longest a turn may compute (e.g. 30s, 5m); time in host calls does
    /// not count.
    #[arg(long = "cpu-time", value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    cpu_time: Duration,

    /// Compile without reading or writing the cache.
    #[arg(long = "no-cache")]
    no_cache: bool,
}

impl RuntimeArgs {
    /// The grants the flags give.
    pub fn grants(&self) -> miette::Result<Grants> {
        let mut grants = Grants::new();
        let defaults = self.manifest_defaults()?;
        for dir in defaults.dirs.iter().chain(&self.dirs) {
            ensure_folder(dir)?;
            grants = grants.dir(dir.clone());
        }
        for file in defaults.env_files.iter().chain(&self.env_files) {
            for env in read_env_file(file).map_err(report)? {
                grants = grants.env(env.key, env.value);
            }
        }
        for env in defaults.env.iter().chain(&self.env) {
            grants = grants.env(env.key.clone(), env.value.clone());
        }
        for host in defaults.hosts.iter().chain(&self.hosts) {
            grants = grants.host(host.clone());
        }
        if self.allow_http {
            grants = grants.host("*".parse().map_err(report)?);
        }
        if self.allow_network {
            grants = grants.network();
        }
        Ok(grants)
    }

    /// The value `--env-file` or `--env` grants `key`, if any (the last
    /// one given, as the grants have it).
    pub fn env_value(&self, key: &str) -> miette::Result<Option<String>> {
        let mut value = None;
        for file in &self.env_files {
            for env in read_env_file(file).map_err(report)? {
                if env.key == key {
                    value = Some(env.value);
                }
            }
        }
        for env in &self.env {
            if env.key == key {
                value = Some(env.value.clone());
            }
        }
        Ok(value)
    }

    /// The limits the flags set.
    pub fn limits(&self) -> Limits {
        Limits {
            max_memory: self.max_memory,
            timeout: self.timeout,
            cpu_time: self.cpu_time,
        }
    }

    /// The compile cache, unless `--no-cache` or a granted directory
    /// reaches it.
    pub fn cache(&self) -> Option<CompileCache> {
        if self.no_cache {
            return None;
        }
        CompileCache::default_location().filter(|cache| !reachable(cache, &self.dirs))
    }
}

/// Where a `--keyvalue` store is: `memory`, `redis://…` (or `rediss://`,
/// `valkey://`), or a file.
#[derive(Clone, Debug)]
pub enum KeyValueArg {
    /// In the process.
    Memory,
    /// A Redis or Valkey server.
    Redis(String),
    /// A redb file.
    File(PathBuf),
}

impl std::str::FromStr for KeyValueArg {
    type Err = String;

    fn from_str(text: &str) -> Result<KeyValueArg, String> {
        if text.is_empty() {
            return Err("give `memory`, `redis://HOST:PORT[/DB]` or a file".to_string());
        }
        Ok(if text == "memory" {
            KeyValueArg::Memory
        } else if let Some(rest) = text.strip_prefix("valkey://") {
            KeyValueArg::Redis(format!("redis://{rest}"))
        } else if text.starts_with("redis://") || text.starts_with("rediss://") {
            KeyValueArg::Redis(text.to_string())
        } else if text.contains("://") {
            return Err(format!(
                "unknown store `{text}`: give `memory`, `redis://HOST:PORT[/DB]` or a file"
            ));
        } else {
            KeyValueArg::File(PathBuf::from(text))
        })
    }
}

impl KeyValueArg {
    /// Opens the store (connects to a server) on the current runtime.
    pub async fn open(&self) -> miette::Result<KeyValueStore> {
        match self {
            KeyValueArg::Memory => Ok(KeyValueStore::memory()),
            KeyValueArg::Redis(url) => KeyValueStore::redis(url).await.map_err(report),
            KeyValueArg::File(path) => KeyValueStore::disk(path).map_err(report),
        }
    }
}

/// Whether the agent could reach `cache` or its key through a granted
/// directory: compiled code it could plant there would run natively, so
/// such a cache is not used (with a warning).
fn reachable(cache: &CompileCache, dirs: &[DirGrant]) -> bool {
    let canonical =
        |path: &std::path::Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let inside = |path: &std::path::Path| {
        dirs.iter()
            .any(|dir| canonical(path).starts_with(canonical(&dir.host)))
    };
    let key_folder = cache.key_file().and_then(std::path::Path::parent);
    let what = if inside(cache.dir()) {
        "it is"
    } else if key_folder.is_some_and(inside) {
        "its key is"
    } else {
        return false;
    };
    eprintln!(
        "asterbot: not using the compile cache `{}`: {what} inside a directory granted to the agent",
        cache.dir().display()
    );
    true
}

/// An error with its whole chain of causes, as a diagnostic.
pub fn report(error: anyhow::Error) -> miette::Report {
    miette::miette!("{error:#}")
}

/// The grants the project's manifest (`asterbot.toml`) gives `run` and
/// `serve` by default, parsed as their flags are.
#[derive(Default)]
struct Defaults {
    dirs: Vec<DirGrant>,
    env: Vec<EnvGrant>,
    env_files: Vec<PathBuf>,
    hosts: Vec<HostGrant>,
}

impl RuntimeArgs {
    /// The manifest's default grants, if there is a manifest.
    fn manifest_defaults(&self) -> miette::Result<Defaults> {
        let Some(manifest) = Manifest::find()? else {
            return Ok(Defaults::default());
        };
        let run = manifest.run_defaults();
        let place = |key: &str, value: &str, e: anyhow::Error| {
            miette::miette!(
                "`{}`, [run] {key} `{value}`: {e:#}",
                manifest.path().display()
            )
        };
        let mut defaults = Defaults {
            env_files: run.env_file,
            ..Defaults::default()
        };
        for value in &run.dir {
            defaults
                .dirs
                .push(value.parse().map_err(|e| place("dir", value, e))?);
        }
        for value in &run.env {
            defaults
                .env
                .push(value.parse().map_err(|e| place("env", value, e))?);
        }
        for value in &run.allow_host {
            defaults
                .hosts
                .push(value.parse().map_err(|e| place("allow-host", value, e))?);
        }
        Ok(defaults)
    }
}

/// A writable folder granted with `--dir` that does not exist yet is made
/// (a fresh state folder is the usual first run); a read-only one must
/// exist, since there would be nothing in it to read.
fn ensure_folder(dir: &DirGrant) -> miette::Result<()> {
    if dir.host.is_dir() {
        return Ok(());
    }
    if dir.host.exists() {
        return Err(miette::miette!(
            help = "give --dir a folder: --dir HOST_FOLDER::GUEST_PATH",
            "--dir `{}` is not a folder",
            dir.host.display()
        ));
    }
    if dir.read_only {
        return Err(miette::miette!(
            help = "make it first, or grant it without `:ro` to let asterbot make it",
            "--dir `{}` does not exist, and a read-only folder that does not exist has nothing to read",
            dir.host.display()
        ));
    }
    std::fs::create_dir_all(&dir.host)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot make the folder `{}` for --dir", dir.host.display()))?;
    eprintln!(
        "asterbot: made the folder `{}` for --dir",
        dir.host.display()
    );
    Ok(())
}
