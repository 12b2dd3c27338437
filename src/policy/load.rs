//! Loading policy files and directories: reading text (the only IO in policy loading), grouping
//! versions of one policy, and refusing to hand out anything when there is an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::hooks::{NoScriptFiles, ScriptFiles};
use super::lower;
use super::model::Policy;
use super::yaml;
use crate::diag::{Code, Diagnostic, Diagnostics, SourceMap};
use crate::limits::Limits;

/// All versions of one policy, ordered by `effective_from`.
#[derive(Debug, Clone)]
pub struct PolicySet {
    pub name: String,
    versions: Vec<Arc<Policy>>,
}

impl PolicySet {
    /// The version in force at `now`: the latest whose `effective_from` is not after `now`.
    pub fn at(&self, now: DateTime<Utc>) -> Option<&Arc<Policy>> {
        self.versions.iter().rev().find(|p| p.effective_from <= now)
    }

    pub fn versions(&self) -> &[Arc<Policy>] {
        &self.versions
    }

    /// The newest version.
    pub fn latest(&self) -> Option<&Arc<Policy>> {
        self.versions.last()
    }
}

/// The outcome of a load: the sources (to render diagnostics), every diagnostic, and the
/// policies, which are present only when there is no error.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub policies: Vec<PolicySet>,
    /// How many files were read.
    pub files: usize,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
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
    let mut loaded = load_texts(texts, limits, true);
    diags.extend(std::mem::take(&mut loaded.diagnostics));
    loaded.diagnostics = diags.into_sorted();
    if loaded.has_errors() {
        loaded.policies.clear();
    }
    loaded
}

/// Loads one policy from text (`name` is used in diagnostics). No file is read.
pub fn load_str(name: &str, text: &str, limits: &Limits) -> Loaded {
    load_texts(vec![(name.to_string(), text.to_string())], limits, false)
}

/// Loads policies from bytes that may not be UTF-8 (never panics on any input).
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

fn load_texts(texts: Vec<(String, String)>, limits: &Limits, from_files: bool) -> Loaded {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let mut policies: Vec<Policy> = Vec::new();
    let files = texts.len();
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
        let lowered = if from_files {
            let mut scripts = DirScripts {
                dir: Path::new(&name)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                sources: &mut sources,
                limits,
            };
            lower::lower(&root, &name, limits, &mut scripts, &mut diags)
        } else {
            lower::lower(&root, &name, limits, &mut NoScriptFiles, &mut diags)
        };
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
        files,
    }
}

/// Reads hook scripts beside a policy file: a relative path inside the policy's directory (no
/// absolute paths, no `..`), at most the script size limit, added to the source map so its
/// diagnostics point into it.
struct DirScripts<'s> {
    dir: PathBuf,
    sources: &'s mut SourceMap,
    limits: &'s Limits,
}

impl ScriptFiles for DirScripts<'_> {
    fn read(&mut self, relative: &str) -> Result<(crate::diag::FileId, String), String> {
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
        let path = self.dir.join(rel);
        let meta = std::fs::metadata(&path).map_err(|e| e.to_string())?;
        if meta.len() > self.limits.hook_max_script_len as u64 {
            return Err(format!(
                "it is {} bytes, more than the limit of {}",
                meta.len(),
                self.limits.hook_max_script_len
            ));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let id = self.sources.add(path.display().to_string(), text.clone());
        Ok((id, text))
    }
}
