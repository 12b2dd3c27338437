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
pub use source::{FileId, SourceMap, Span};
pub use suggest::did_you_mean;

/// How bad a problem is. Errors stop a policy from being handed out; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input cannot be used.
    Error,
    /// The input can be used, but probably does not say what its author meant.
    Warning,
}

/// One problem found in user input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub(crate) severity: Severity,
    pub(crate) code: Code,
    pub(crate) message: String,
    /// Where the problem is; `None` only for problems with no place (a missing file).
    pub(crate) span: Option<Span>,
    /// What to do about it, rendered as `help: ...`.
    pub(crate) help: Option<String>,
    /// Secondary places in the same file, with what happened there (where the parser noticed a
    /// problem whose cause is at `span`), rendered with `-` under them like rustc's labels.
    pub(crate) labels: Vec<(Span, String)>,
}

/// A secondary place of a [`LocatedDiagnostic`], resolved like its primary place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocatedLabel {
    /// What happened there.
    pub message: String,
    /// The line of the first character.
    pub line: usize,
    /// The column of the first character.
    pub column: usize,
    /// The line just past the last character.
    pub end_line: usize,
    /// The column just past the last character.
    pub end_column: usize,
}

/// A diagnostic with its place resolved to a file, line and column (1-based, in characters):
/// the serializable form for programs (CI annotations, a service's error responses).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocatedDiagnostic {
    /// `error` or `warning`.
    pub severity: Severity,
    /// The stable code, such as `E0100`.
    pub code: &'static str,
    /// The code's name, such as `unknown-unit`.
    pub name: &'static str,
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
    /// The file, when the problem has a place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line of the first character.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The column of the first character.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The line just past the last character.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    /// The column just past the last character.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<usize>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Secondary places in the same file (where the parser noticed what the primary place
    /// began), in order; absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<LocatedLabel>,
}

impl LocatedDiagnostic {
    /// Resolves `d`'s span against `sources`.
    pub(crate) fn of(d: &Diagnostic, sources: &SourceMap) -> Self {
        let located = d.span.and_then(|s| sources.get(s.file).map(|f| (s, f)));
        let (file, start, end) = match located {
            Some((s, f)) => (
                Some(f.name.clone()),
                Some(f.line_col(s.start as usize)),
                Some(f.line_col(s.end as usize)),
            ),
            None => (None, None, None),
        };
        LocatedDiagnostic {
            severity: d.severity,
            code: d.code.id(),
            name: d.code.name(),
            message: d.message.clone(),
            file,
            line: start.map(|p| p.0),
            column: start.map(|p| p.1),
            end_line: end.map(|p| p.0),
            end_column: end.map(|p| p.1),
            help: d.help.clone(),
            labels: d
                .labels
                .iter()
                // Labels are places in the primary place's file (the renderers say so).
                .filter(|(span, _)| d.span.is_some_and(|p| p.file == span.file))
                .filter_map(|(span, message)| {
                    let f = sources.get(span.file)?;
                    let (line, column) = f.line_col(span.start as usize);
                    let (end_line, end_column) = f.line_col(span.end as usize);
                    Some(LocatedLabel {
                        message: message.clone(),
                        line,
                        column,
                        end_line,
                        end_column,
                    })
                })
                .collect(),
        }
    }
}

impl Diagnostic {
    /// Whether it is an error or a warning.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The stable code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to do about it, when there is something to say.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Secondary places (byte ranges of the same file) with what happened there.
    pub fn labels(&self) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
        self.labels
            .iter()
            .map(|(s, m)| (s.start as usize..s.end as usize, m.as_str()))
    }

    /// The bytes of its file the problem covers, when it has a place.
    pub fn byte_range(&self) -> Option<std::ops::Range<usize>> {
        self.span.map(|s| s.start as usize..s.end as usize)
    }

    pub(crate) fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: None,
            help: None,
            labels: Vec::new(),
        }
    }

    pub(crate) fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Sets the span only if none is set yet (the single choke point that stamps locations).
    pub(crate) fn or_at(mut self, span: Span) -> Self {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }

    /// Adds a secondary place with what happened there.
    pub(crate) fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push((span, message.into()));
        self
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds `did you mean ...?` as help when a near name exists.
    pub(crate) fn suggest<'a>(
        self,
        wrong: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        match did_you_mean(wrong, candidates) {
            Some(near) => self.with_help(format!("did you mean `{near}`?")),
            None => self,
        }
    }

    /// Adds `did you mean ...?` when a near name exists, and otherwise lists the choices as
    /// `{label}: `a`, `b``, so an unknown name always comes with a way forward.
    pub(crate) fn suggest_or_list(self, wrong: &str, candidates: &[&str], label: &str) -> Self {
        let d = self.suggest(wrong, candidates.iter().copied());
        if d.help.is_some() || candidates.is_empty() {
            return d;
        }
        let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
        d.with_help(format!("{label}: {}", list.join(", ")))
    }

    /// Whether it is an error (a policy with one is never handed out).
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
