//! Key lints: the Misar security guidance turned into findings about the
//! keys already found and where they were found: a key in code served to
//! browsers ([`LintCheck::ClientExposed`]), in a `.env*` file that git tracks
//! ([`LintCheck::CommittedEnvFile`]), or the same key configured for several
//! environments ([`LintCheck::SharedAcrossEnvironments`], one finding naming
//! every place). They run after the scan, on the findings ([`key_lints`]).
//!
//! The webhook content lints, which read source files' bytes during the
//! scan, are [`crate::engine::content`]. Each lint is configured by a file in
//! `rules/lints/` carrying its id, severity, message and examples; disabling
//! its id turns it off.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::finding::{Finding, Location, Related};
use crate::rules::{Lint, LintCheck, RuleSet};

/// Variable prefixes that bundlers inline into browser code.
const PUBLIC_VARS: &[&str] = &[
    "NEXT_PUBLIC_",
    "VITE_",
    "REACT_APP_",
    "EXPO_PUBLIC_",
    "NUXT_PUBLIC_",
    "GATSBY_",
];

/// Folders whose files are served to browsers as they are.
const PUBLIC_DIRS: &[&str] = &["public", "static", "dist", "build", "www", "wwwroot"];

fn lint_finding(key: &Finding, lint: &Lint, note: String) -> Finding {
    Finding {
        rule_id: lint.id.clone(),
        rule_name: lint.name.clone(),
        severity: lint.severity,
        note: Some(note),
        related: Vec::new(),
        ..key.clone()
    }
}

/// Why a place is served to browsers, if it is.
fn client_exposure(uri: &str, line_before_key: &str) -> Option<String> {
    let upper = line_before_key.to_ascii_uppercase();
    for var in PUBLIC_VARS {
        if let Some(i) = upper.rfind(var) {
            let starts_word = i == 0 || {
                let b = upper.as_bytes()[i - 1];
                !(b.is_ascii_alphanumeric() || b == b'_')
            };
            let rest = &upper[i..];
            let name_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let after = rest[name_end..].trim_start();
            if starts_word && (after.starts_with('=') || after.starts_with(':')) {
                return Some(format!(
                    "assigned to `{}`, which bundlers inline into browser code",
                    &line_before_key[i..i + name_end]
                ));
            }
        }
    }
    // Inside an archive, only the member's own path counts: `dist/app.zip` is a
    // package, not a folder a web server serves.
    let lower = uri.rsplit('!').next().unwrap_or(uri).to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    let (dirs, file) = parts.split_at(parts.len().saturating_sub(1));
    let file = file.first().copied().unwrap_or_default();
    if let Some(dir) = dirs.iter().find(|d| PUBLIC_DIRS.contains(d)) {
        return Some(format!("in `{dir}/`, which is served to browsers"));
    }
    if file.ends_with(".html") || file.ends_with(".htm") {
        return Some("in an HTML page".into());
    }
    let is_script = [".js", ".mjs", ".cjs"].iter().any(|e| file.ends_with(e));
    let bundled = file.contains(".min.")
        || file.contains(".bundle.")
        || file.contains(".chunk.")
        || file
            .split('.')
            .any(|p| p.len() >= 8 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    (is_script && bundled).then(|| "in a bundled script served to browsers".into())
}

/// Whether the file name is a `.env` file (`.env`, `.env.local`, `.env.production`, …).
fn is_env_file(uri: &str) -> bool {
    let name = uri.rsplit(['/', '!']).next().unwrap_or(uri);
    name == ".env" || (name.starts_with(".env.") && !name.ends_with(".md"))
}

/// The environment a configuration path is for, if it names one.
fn environment(uri: &str) -> Option<&'static str> {
    let lower = uri.to_ascii_lowercase();
    let classify = |token: &str| -> Option<&'static str> {
        Some(match token {
            "prod" | "production" | "prd" | "live" => "production",
            "staging" | "stage" | "stg" | "preprod" => "staging",
            "dev" | "development" => "development",
            "test" | "testing" | "qa" => "test",
            "local" => "local",
            _ => return None,
        })
    };
    let parts: Vec<&str> = lower.split(['/', '!']).collect();
    let (dirs, file) = parts.split_at(parts.len().saturating_sub(1));
    // The file name first (`.env.production`, `prod.yaml`, `application-dev.yml`),
    // then the nearest folder named after an environment (`config/prod/`),
    // leaving out test-source folders (`src/test/`), which are not configuration.
    if let Some(env) = file
        .first()
        .and_then(|f| f.split(['.', '-', '_']).find_map(classify))
    {
        return Some(env);
    }
    dirs.iter()
        .rev()
        .filter(|d| !matches!(**d, "test" | "tests"))
        .find_map(|d| classify(d))
}

/// Whether a file is tracked by git, looked up in its repository's index
/// (one repository opened per folder, then cached).
#[derive(Default)]
pub struct GitIndex {
    repos: HashMap<PathBuf, Option<(PathBuf, git2::Index)>>,
}

impl std::fmt::Debug for GitIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitIndex").finish_non_exhaustive()
    }
}

impl GitIndex {
    /// Whether `path` (as given on the command line, or relative to the current
    /// directory) is in the index of the repository holding it.
    pub fn tracked(&mut self, path: &Path) -> bool {
        let Ok(abs) = std::path::absolute(path) else {
            return false;
        };
        let Some(dir) = abs.parent().map(Path::to_path_buf) else {
            return false;
        };
        let entry = self.repos.entry(dir.clone()).or_insert_with(|| {
            let repo = git2::Repository::discover(&dir).ok()?;
            let workdir = repo.workdir()?.canonicalize().ok()?;
            Some((workdir, repo.index().ok()?))
        });
        let Some((workdir, index)) = entry else {
            return false;
        };
        let Ok(canonical) = abs.canonicalize() else {
            return false;
        };
        canonical
            .strip_prefix(workdir)
            .ok()
            .is_some_and(|rel| index.get_path(rel, 0).is_some())
    }
}

/// Run the key lints over `findings` (key findings only) and return the lint
/// findings. `tracked` says whether a finding's file is committed to git.
pub fn key_lints(
    findings: &[Finding],
    rules: &RuleSet,
    tracked: &mut dyn FnMut(&Finding) -> bool,
) -> Vec<Finding> {
    let keys: Vec<&Finding> = findings
        .iter()
        .filter(|f| rules.get(&f.rule_id).is_some() && f.location == Location::File)
        .collect();
    let mut out = Vec::new();
    if let Some(lint) = rules.lint_for(LintCheck::ClientExposed) {
        for f in &keys {
            let before = f
                .snippet
                .text
                .get(..f.snippet.key.start)
                .unwrap_or_default();
            if let Some(why) = client_exposure(&f.uri, before) {
                out.push(lint_finding(f, lint, format!("{} key {why}", f.product)));
            }
        }
    }
    if let Some(lint) = rules.lint_for(LintCheck::CommittedEnvFile) {
        for f in &keys {
            if is_env_file(&f.uri) && (f.commit.is_some() || tracked(f)) {
                out.push(lint_finding(
                    f,
                    lint,
                    format!(
                        "{} key in `{}`, a .env file committed to git; add it to .gitignore and use the environment or a secret store",
                        f.product, f.path
                    ),
                ));
            }
        }
    }
    if let Some(lint) = rules.lint_for(LintCheck::SharedAcrossEnvironments) {
        let mut by_key: BTreeMap<&str, Vec<(&'static str, &Finding)>> = BTreeMap::new();
        for f in &keys {
            if let Some(env) = environment(&f.uri) {
                by_key.entry(f.secret.sha256()).or_default().push((env, f));
            }
        }
        for places in by_key.values_mut() {
            places.sort_by(|a, b| a.1.sort_key().cmp(&b.1.sort_key()));
            let mut envs: Vec<&str> = places.iter().map(|p| p.0).collect();
            envs.sort_unstable();
            envs.dedup();
            if envs.len() < 2 {
                continue;
            }
            let first = places[0].1;
            let list = places
                .iter()
                .map(|(env, f)| format!("{env} (`{}:{}`)", f.path, f.line))
                .collect::<Vec<_>>()
                .join(", ");
            let mut finding = lint_finding(
                first,
                lint,
                format!(
                    "the same {} key is configured for {}: {list}",
                    first.product,
                    envs.join(", ")
                ),
            );
            finding.related = places[1..]
                .iter()
                .map(|(_, f)| Related {
                    path: f.path.clone(),
                    uri: f.uri.clone(),
                    line: f.line,
                    column: f.column,
                })
                .collect();
            out.push(finding);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_exposure_by_path_and_variable() {
        assert!(client_exposure("public/app.js", "").is_some());
        assert!(client_exposure("frontend/dist/main.js", "").is_some());
        assert!(client_exposure("site/index.html", "").is_some());
        assert!(client_exposure("assets/app.3f2a1b9c.js", "").is_some());
        assert!(client_exposure("vendor/lib.min.js", "").is_some());
        assert!(client_exposure(".env", "NEXT_PUBLIC_MISAR_KEY=").is_some());
        assert!(client_exposure("app.config.ts", "  VITE_MISAR: '").is_some());
        assert!(client_exposure("src/server/mail.ts", "const key = '").is_none());
        assert!(client_exposure("src/app.js", "MY_VITE_KEY=").is_none());
        assert!(client_exposure("src/publicity.ts", "").is_none());
        assert!(client_exposure("dist/app.zip!config/settings.py", "").is_none());
        assert!(client_exposure("site.zip!public/app.js", "").is_some());
    }

    #[test]
    fn environments_from_paths() {
        assert_eq!(environment(".env.production"), Some("production"));
        assert_eq!(environment("config/prod.yaml"), Some("production"));
        assert_eq!(
            environment("src/main/resources/application-dev.yml"),
            Some("development")
        );
        assert_eq!(environment("deploy/staging/values.yaml"), Some("staging"));
        assert_eq!(environment("src/test/java/KeyTest.java"), None);
        assert_eq!(environment("src/app.js"), None);
    }

    #[test]
    fn env_files() {
        assert!(is_env_file(".env"));
        assert!(is_env_file("svc/.env.local"));
        assert!(!is_env_file("env.ts"));
        assert!(!is_env_file(".envrc"));
        assert!(!is_env_file("docs/.env.md"));
    }
}
