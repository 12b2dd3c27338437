//! Diagnostics: what went wrong, where, and what to do about it.
//!
//! Every front-end stage (YAML reading, expression parsing, checking, policy lowering) reports
//! problems as [`Diagnostic`]s carrying a stable [`Code`], a byte span into a [`SourceMap`] file,
//! a lowercase message and an optional `help:` line. Stages collect all diagnostics instead of
//! stopping at the first. Rendering (rustc-like text or JSON lines) lives in [`render`]; this
//! module never prints.

mod code;
pub mod render;
mod source;
pub mod suggest;

pub use code::Code;
pub use source::{FileId, SourceFile, SourceMap, Span};
pub use suggest::did_you_mean;

/// How bad a problem is. Errors stop a policy from being handed out; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in user input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// Where the problem is; `None` only for problems with no place (a missing file).
    pub span: Option<Span>,
    /// What to do about it, rendered as `help: ...`.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: None,
            help: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Sets the span only if none is set yet (the single choke point that stamps locations).
    pub fn or_at(mut self, span: Span) -> Self {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds `did you mean ...?` as help when a near name exists.
    pub fn suggest<'a>(self, wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        match did_you_mean(wrong, candidates) {
            Some(near) => self.with_help(format!("did you mean `{near}`?")),
            None => self,
        }
    }

    /// Adds `did you mean ...?` when a near name exists, and otherwise lists the choices as
    /// `{label}: `a`, `b``, so an unknown name always comes with a way forward.
    pub fn suggest_or_list(self, wrong: &str, candidates: &[&str], label: &str) -> Self {
        let d = self.suggest(wrong, candidates.iter().copied());
        if d.help.is_some() || candidates.is_empty() {
            return d;
        }
        let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
        d.with_help(format!("{label}: {}", list.join(", ")))
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A bag of diagnostics that stages append to.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Diagnostics in source order (file, then position), so output is stable.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by_key(|d| {
            d.span
                .map(|s| (s.file.0, s.start, s.end))
                .unwrap_or((u32::MAX, 0, 0))
        });
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
