//! Repository configuration: `.misar-scan.toml`.
//!
//! ```toml
//! [allowlist]
//! paths = ["tests/fixtures/**", "docs/**/*.md"]   # globs, relative to this file's folder
//! secrets = ["<secret_sha256>"]                   # accept one specific key everywhere
//! placeholder_words = ["acme", "widget"]         # more words that mark a placeholder
//!
//! [rules]
//! disable = ["assisters-api-key"]                 # rule ids to turn off
//! ```
//!
//! Found as `--config FILE`, else `.misar-scan.toml` in the current
//! directory, else in the first scanned directory; `--no-config` ignores it.
//!
//! [`ApiEnv`] holds the settings read from the environment; this module is
//! the only reader of `MISAR_*` variables.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::rules::RuleSet;
use crate::secret::Secret;

/// Overrides the API base URL of every product (SPEC §2).
pub const ENV_API_URL: &str = "MISAR_API_URL";
/// The admin key used to list and revoke keys that lack `keys:manage`.
pub const ENV_ADMIN_KEY: &str = "MISAR_ADMIN_KEY";

/// API settings from the environment. The admin key comes from here only,
/// never from a flag: arguments are visible to every user of the machine.
#[derive(Debug, Clone, Default)]
pub struct ApiEnv {
    /// `MISAR_API_URL`, when set and not empty.
    pub api_url: Option<String>,
    /// `MISAR_ADMIN_KEY`, when set and not empty (prints redacted).
    pub admin_key: Option<Secret>,
}

impl ApiEnv {
    /// Read `MISAR_API_URL` and `MISAR_ADMIN_KEY`.
    pub fn from_env() -> Self {
        let var = |name| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Self {
            api_url: var(ENV_API_URL),
            admin_key: var(ENV_ADMIN_KEY).map(Secret::new),
        }
    }
}

/// The file name looked for.
pub const FILE_NAME: &str = ".misar-scan.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepoConfigFile {
    #[serde(default)]
    allowlist: AllowlistFile,
    #[serde(default)]
    rules: RulesFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowlistFile {
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    placeholder_words: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    disable: Vec<String>,
}

/// A loaded `.misar-scan.toml` (or the empty default).
#[derive(Debug, Clone)]
pub struct RepoConfig {
    /// Where the file was read from, if anywhere.
    pub source: Option<PathBuf>,
    /// The folder path globs are relative to (canonical).
    dir: PathBuf,
    paths: GlobSet,
    /// The `allowlist.paths` globs as written.
    path_globs: Vec<String>,
    secrets: HashSet<String>,
    /// Extra placeholder words.
    pub placeholder_words: Vec<String>,
    /// Rule ids turned off.
    pub disabled_rules: Vec<String>,
}

impl RepoConfig {
    /// No configuration: nothing allow-listed.
    pub fn empty() -> Self {
        Self {
            source: None,
            dir: PathBuf::new(),
            paths: GlobSet::empty(),
            path_globs: Vec::new(),
            secrets: HashSet::new(),
            placeholder_words: Vec::new(),
            disabled_rules: Vec::new(),
        }
    }

    /// Find and load the configuration as described in the module docs.
    pub fn discover(explicit: Option<&Path>, first_root: Option<&Path>) -> Result<Self> {
        if let Some(path) = explicit {
            return Self::load(path);
        }
        let candidates = std::iter::once(PathBuf::from(FILE_NAME))
            .chain(first_root.filter(|r| r.is_dir()).map(|r| r.join(FILE_NAME)));
        for candidate in candidates {
            if candidate.is_file() {
                return Self::load(&candidate);
            }
        }
        Ok(Self::empty())
    }

    /// Load one file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read config `{}`", path.display()))?;
        let file: RepoConfigFile = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start].matches('\n').count() + 1)
                .map(|l| format!(" line {l}"))
                .unwrap_or_default();
            anyhow::anyhow!(
                "invalid config `{}`{line}: {}",
                path.display(),
                e.message().trim()
            )
        })?;
        let mut globs = GlobSetBuilder::new();
        for pattern in &file.allowlist.paths {
            let glob = Glob::new(pattern).with_context(|| {
                format!(
                    "invalid glob `{pattern}` in `allowlist.paths` of `{}`",
                    path.display()
                )
            })?;
            globs.add(glob);
        }
        for hash in &file.allowlist.secrets {
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!(
                    "invalid entry `{hash}` in `allowlist.secrets` of `{}`: expected a 64-digit hex SHA-256 (a finding's `secret_sha256`)",
                    path.display()
                );
            }
        }
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = dir
            .canonicalize()
            .with_context(|| format!("failed to resolve `{}`", dir.display()))?;
        Ok(Self {
            source: Some(path.to_path_buf()),
            dir,
            paths: globs
                .build()
                .context("failed to compile `allowlist.paths`")?,
            path_globs: file.allowlist.paths,
            secrets: file
                .allowlist
                .secrets
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            placeholder_words: file.allowlist.placeholder_words,
            disabled_rules: file.rules.disable,
        })
    }

    /// Turn off the rules named in `[rules] disable`; an unknown id is an error.
    pub fn apply_to_rules(&self, rules: &mut RuleSet) -> Result<()> {
        for id in &self.disabled_rules {
            if !rules.has_id(id) {
                bail!(
                    "unknown rule `{id}` in `rules.disable` of `{}`",
                    self.source
                        .as_deref()
                        .unwrap_or(Path::new(FILE_NAME))
                        .display()
                );
            }
        }
        rules.disable(&self.disabled_rules);
        Ok(())
    }

    /// Whether `allowlist.paths` lists anything.
    pub fn has_path_allowlist(&self) -> bool {
        !self.paths.is_empty()
    }

    /// Whether `canonical_path` is allow-listed by `allowlist.paths`.
    pub fn path_allowed(&self, canonical_path: &Path) -> bool {
        if self.paths.is_empty() {
            return false;
        }
        canonical_path
            .strip_prefix(&self.dir)
            .is_ok_and(|rel| self.paths.is_match(rel))
    }

    /// Whether `rel_path` (relative to the repository root) is allow-listed;
    /// used for history scans, where paths are inside the repository.
    pub fn repo_path_allowed(&self, rel_path: &str) -> bool {
        !self.paths.is_empty() && self.paths.is_match(rel_path)
    }

    /// Whether this key (by SHA-256) is allow-listed.
    pub fn secret_allowed(&self, sha256: &str) -> bool {
        self.secrets.contains(sha256)
    }

    /// What this configuration keeps the scan from reporting, or `None` when
    /// it turns nothing off: a `.misar-scan.toml` inside the scanned folder
    /// is written by whoever wrote the code, so a run says what it silenced.
    pub fn silenced(&self) -> Option<Silenced> {
        let source = self.source.as_ref()?;
        let silenced = Silenced {
            path: source.display().to_string(),
            disabled_rules: self.disabled_rules.clone(),
            allowlisted_paths: self.path_globs.clone(),
            allowlisted_secrets: self.secrets.len(),
            placeholder_words: self.placeholder_words.clone(),
        };
        let nothing = silenced.disabled_rules.is_empty()
            && silenced.allowlisted_paths.is_empty()
            && silenced.allowlisted_secrets == 0
            && silenced.placeholder_words.is_empty();
        (!nothing).then_some(silenced)
    }
}

/// What a configuration file turned off (the JSON report's `summary.config`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Silenced {
    /// The configuration file, as found.
    pub path: String,
    /// Rules and lints turned off (`[rules] disable`).
    pub disabled_rules: Vec<String>,
    /// Path globs whose files are not scanned (`[allowlist] paths`).
    pub allowlisted_paths: Vec<String>,
    /// How many keys are accepted by hash (`[allowlist] secrets`).
    pub allowlisted_secrets: usize,
    /// Extra words that mark a key as a placeholder.
    pub placeholder_words: Vec<String>,
}

impl std::fmt::Display for Silenced {
    /// One line: `configuration `PATH` disables rules a, b; allow-lists paths `x`, `y`; …`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted = |items: &[String]| {
            items
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !self.disabled_rules.is_empty() {
            parts.push(format!("turns off {}", quoted(&self.disabled_rules)));
        }
        if !self.allowlisted_paths.is_empty() {
            parts.push(format!(
                "skips the paths matching {}",
                quoted(&self.allowlisted_paths)
            ));
        }
        if self.allowlisted_secrets > 0 {
            parts.push(format!(
                "accepts {} key(s) by hash",
                self.allowlisted_secrets
            ));
        }
        if !self.placeholder_words.is_empty() {
            parts.push(format!(
                "treats keys holding {} as placeholders",
                quoted(&self.placeholder_words)
            ));
        }
        write!(f, "configuration `{}` {}", self.path, parts.join("; "))
    }
}
/// The rules in force: the embedded ones, plus every `*.toml` in `dir`
/// (a rule with a built-in id replaces it), minus `[rules] disable`.
pub fn load_rules(dir: Option<&Path>, config: &RepoConfig) -> Result<RuleSet> {
    let mut rules = match dir {
        Some(dir) => RuleSet::embedded_and_dir(dir)?,
        None => RuleSet::embedded()?,
    };
    config.apply_to_rules(&mut rules)?;
    Ok(rules)
}
