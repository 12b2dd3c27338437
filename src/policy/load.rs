//! Loading policy files and directories: reading text (the only IO in policy loading), grouping
//! versions of one policy, and refusing to hand out anything when there is an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::hooks::ScriptFiles;
use super::lower;
use super::model::Policy;
use super::yaml;
use crate::diag::{Code, Diagnostic, Diagnostics, SourceMap};
use crate::limits::Limits;

/// All versions of one policy, ordered by `effective_from`.
#[derive(Debug, Clone)]
pub struct PolicySet {
    name: String,
    versions: Vec<Arc<Policy>>,
}

impl PolicySet {
    /// The policy's name (`policy:` in its files).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version in force at `now`: the latest whose `effective_from` is not after `now`.
    pub fn at(&self, now: DateTime<Utc>) -> Option<&Arc<Policy>> {
        self.versions.iter().rev().find(|p| p.effective_from <= now)
    }

    /// Every version, oldest `effective_from` first.
    pub fn versions(&self) -> &[Arc<Policy>] {
        &self.versions
    }

    /// The newest version.
    pub fn latest(&self) -> Option<&Arc<Policy>> {
        self.versions.last()
    }
}

/// The outcome of a load: every diagnostic (with the sources to render them), and the policies,
/// which are present only when there is no error.
#[derive(Debug, Default)]
pub struct Loaded {
    pub(crate) sources: SourceMap,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) policies: Vec<PolicySet>,
}

impl Loaded {
    /// Whether any diagnostic is an error (then no policy is handed out).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Every diagnostic, sorted by file and position.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Every policy loaded, one set of versions per policy name; empty when there is an error.
    pub fn policies(&self) -> &[PolicySet] {
        &self.policies
    }

    /// Every diagnostic rendered like rustc (`file:line:column`, the source line, a caret under
    /// the exact characters, the help line), followed by a count when there are any.
    pub fn render_human(&self) -> String {
        crate::diag::render::human_all(&self.diagnostics, &self.sources)
    }

    /// [`Loaded::render_human`], in colour (ANSI escapes) when `colour` is set, for a terminal.
    pub fn render_human_styled(&self, colour: bool) -> String {
        crate::diag::render::human_all_styled(&self.diagnostics, &self.sources, colour)
    }

    /// Every diagnostic as one JSON object per line, for CI annotations.
    pub fn render_json(&self) -> String {
        self.diagnostics
            .iter()
            .map(|d| crate::diag::render::json(d, &self.sources) + "\n")
            .collect()
    }

    /// Every diagnostic with its file, line and column resolved, as serializable data.
    pub fn located(&self) -> Vec<crate::diag::LocatedDiagnostic> {
        self.diagnostics
            .iter()
            .map(|d| crate::diag::LocatedDiagnostic::of(d, &self.sources))
            .collect()
    }

    /// The only policy set, when exactly one was loaded.
    pub fn single(&self) -> Option<&PolicySet> {
        match self.policies.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// Whether a file in a policy directory is a policy (not a test or scenario file).
fn is_policy_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (name.ends_with(".yaml") || name.ends_with(".yml"))
        && !name.contains(".test.")
        && !name.contains(".scenario.")
}

fn collect(path: &Path, out: &mut Vec<PathBuf>, limits: &Limits, diags: &mut Diagnostics) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                diags.push(Diagnostic::error(
                    Code::Io,
                    format!("cannot read directory `{}`: {e}", path.display()),
                ));
                return;
            }
        };
        entries.sort();
        for p in entries {
            if p.is_dir() {
                collect(&p, out, limits, diags);
            } else if is_policy_file(&p) {
                if out.len() >= limits.max_policy_files {
                    diags.push(Diagnostic::error(
                        Code::Io,
                        format!(
                            "more than {} policy files under `{}`",
                            limits.max_policy_files,
                            path.display()
                        ),
                    ));
                    return;
                }
                out.push(p);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
}

/// Loads every policy file named, or found under the directories named.
pub fn load_paths(paths: &[PathBuf], limits: &Limits) -> Loaded {
    let mut diags = Diagnostics::new();
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files, limits, &mut diags);
    }
    let mut dir = PolicyDir { limits };
    let mut texts = Vec::new();
    for f in &files {
        let name = f.display().to_string();
        match std::fs::metadata(f) {
            Ok(m) if m.len() > limits.max_policy_bytes as u64 => {
                diags.push(Diagnostic::error(
                    Code::Io,
                    format!(
                        "`{name}` is {} bytes, more than the limit of {}",
                        m.len(),
                        limits.max_policy_bytes
                    ),
                ));
                continue;
            }
            Err(e) => {
                diags.push(
                    Diagnostic::error(Code::Io, format!("cannot read `{name}`: {e}"))
                        .with_help("check the path"),
                );
                continue;
            }
            Ok(_) => {}
        }
        match std::fs::read(f) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => texts.push((name, text)),
                Err(_) => diags.push(Diagnostic::error(
                    Code::Io,
                    format!("`{name}` is not UTF-8 text"),
                )),
            },
            Err(e) => diags.push(Diagnostic::error(
                Code::Io,
                format!("cannot read `{name}`: {e}"),
            )),
        }
    }
    if files.is_empty() && !diags.has_errors() {
        diags.push(
            Diagnostic::error(Code::Io, "no policy files found")
                .with_help("name `.yaml` files or directories that hold them"),
        );
    }
    let mut loaded = load_texts(texts, limits, &mut dir);
    diags.extend(std::mem::take(&mut loaded.diagnostics));
    loaded.diagnostics = diags.into_sorted();
    if loaded.has_errors() {
        loaded.policies.clear();
    }
    loaded
}

/// Where the script files a policy's hooks name (`file: bonus.rhai`) come from. Loading from
/// paths reads them from the policy's directory; an embedder that keeps policies elsewhere (a
/// database, a bundle) implements this and calls [`load_str_with`].
pub trait HookSource {
    /// The script `name`, as the policy in the file (or text) called `policy` wrote it: the name
    /// to show in diagnostics and the text.
    fn read(&mut self, policy: &str, name: &str) -> Result<HookScript, String>;
}

/// A hook script read by a [`HookSource`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookScript {
    /// What diagnostics call the file (`policies/bonus.rhai`).
    pub display_name: String,
    /// The script.
    pub text: String,
}

/// For policies loaded from text alone: a hook that names a script file is an error.
struct NoHookFiles;

impl HookSource for NoHookFiles {
    fn read(&mut self, _: &str, _: &str) -> Result<HookScript, String> {
        Err("this policy was loaded from text, so it cannot name script files; write the script inline".into())
    }
}

/// Loads one policy from text (`name` is used in diagnostics). No file is read; a hook that
/// names a script file is reported.
pub fn load_str(name: &str, text: &str, limits: &Limits) -> Loaded {
    load_str_with(name, text, limits, &mut NoHookFiles)
}

/// Loads one policy from text, reading the script files its hooks name from `hooks`.
pub fn load_str_with(
    name: &str,
    text: &str,
    limits: &Limits,
    hooks: &mut dyn HookSource,
) -> Loaded {
    load_texts(vec![(name.to_string(), text.to_string())], limits, hooks)
}

/// Loads one policy from bytes that may not be UTF-8 (a policy kept in a database or read from
/// the network): like [`load_str`], and bytes that are not UTF-8 are one diagnostic. Never
/// panics on any input.
pub fn load_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Loaded {
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(name, text, limits),
        Err(_) => Loaded {
            diagnostics: vec![Diagnostic::error(
                Code::Io,
                format!("`{name}` is not UTF-8 text"),
            )],
            ..Loaded::default()
        },
    }
}

/// Adapts a [`HookSource`] to lowering: what it reads is added to the source map, so
/// diagnostics in a script point into it.
struct Sourced<'s> {
    source: &'s mut dyn HookSource,
    sources: &'s mut SourceMap,
    policy: &'s str,
}

impl ScriptFiles for Sourced<'_> {
    fn read(&mut self, name: &str) -> Result<(crate::diag::FileId, String), String> {
        let script = self.source.read(self.policy, name)?;
        let id = self.sources.add(script.display_name, script.text.clone());
        Ok((id, script.text))
    }
}

fn load_texts(texts: Vec<(String, String)>, limits: &Limits, hooks: &mut dyn HookSource) -> Loaded {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let mut policies: Vec<Policy> = Vec::new();
    for (name, text) in texts {
        if text.len() > limits.max_policy_bytes {
            diags.push(Diagnostic::error(
                Code::Io,
                format!(
                    "`{name}` is larger than the limit of {} bytes",
                    limits.max_policy_bytes
                ),
            ));
            continue;
        }
        let file = sources.add(name.clone(), text);
        let Some(src) = sources.get(file) else {
            continue;
        };
        let root = match yaml::parse(&src.text, file) {
            Ok(root) => root,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let mut scripts = Sourced {
            source: hooks,
            sources: &mut sources,
            policy: &name,
        };
        let lowered = lower::lower(&root, &name, limits, &mut scripts, &mut diags);
        if let Some(p) = lowered {
            policies.push(p);
        }
    }
    // Group versions by policy name.
    let mut sets: Vec<PolicySet> = Vec::new();
    for p in policies {
        let p = Arc::new(p);
        match sets.iter_mut().find(|s| s.name == p.name) {
            Some(set) => {
                if let Some(other) = set
                    .versions
                    .iter()
                    .find(|o| o.effective_from == p.effective_from)
                {
                    diags.push(
                        Diagnostic::error(
                            Code::VersionConflict,
                            format!(
                                "`{}` and `{}` both take effect at {} for policy `{}`",
                                other.file,
                                p.file,
                                p.effective_from.to_rfc3339(),
                                p.name
                            ),
                        )
                        .with_help("give each version its own `effective_from`"),
                    );
                }
                set.versions.push(p);
                set.versions.sort_by_key(|v| v.effective_from);
            }
            None => sets.push(PolicySet {
                name: p.name.clone(),
                versions: vec![p],
            }),
        }
    }
    let has_errors = diags.has_errors();
    Loaded {
        sources,
        diagnostics: diags.into_sorted(),
        policies: if has_errors { Vec::new() } else { sets },
    }
}

/// Reads hook scripts beside a policy file: a relative path inside the policy's directory (no
/// absolute paths, no `..`), at most the script size limit.
struct PolicyDir<'s> {
    limits: &'s Limits,
}

impl HookSource for PolicyDir<'_> {
    fn read(&mut self, policy: &str, relative: &str) -> Result<HookScript, String> {
        let rel = Path::new(relative);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(
                "a script file is named relative to the policy, inside its directory".into(),
            );
        }
        let dir = Path::new(policy).parent().unwrap_or(Path::new(""));
        let path = dir.join(rel);
        let meta = std::fs::metadata(&path).map_err(|e| e.to_string())?;
        if meta.len() > self.limits.hook_max_script_len as u64 {
            return Err(format!(
                "it is {} bytes, more than the limit of {}",
                meta.len(),
                self.limits.hook_max_script_len
            ));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        Ok(HookScript {
            display_name: path.display().to_string(),
            text,
        })
    }
}
