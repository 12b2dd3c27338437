//! Where an expression's text sits in its file, so a byte inside the expression maps to the
//! exact byte of the YAML file it came from, even inside quoted or block strings.

use crate::diag::{FileId, Span};

use super::ast::Range;

/// Maps byte offsets of an expression's text to byte offsets of its file.
#[derive(Debug, Clone)]
pub struct Origin {
    file: FileId,
    base: u32,
    /// For text that was decoded from a quoted or block scalar: `offsets[i]` is the file offset
    /// of the expression's byte `i`; one extra entry marks the end. `None` means the text is a
    /// verbatim copy starting at `base`.
    offsets: Option<Vec<u32>>,
}

impl Origin {
    /// Text that appears verbatim in the file at `base`.
    pub fn verbatim(file: FileId, base: usize) -> Self {
        Origin {
            file,
            base: u32::try_from(base).unwrap_or(u32::MAX),
            offsets: None,
        }
    }

    /// Text decoded from the file: one file offset per byte of the text, plus the end.
    pub fn mapped(file: FileId, offsets: Vec<u32>) -> Self {
        Origin {
            file,
            base: offsets.first().copied().unwrap_or(0),
            offsets: Some(offsets),
        }
    }

    fn map(&self, i: u32) -> u32 {
        match &self.offsets {
            None => self.base.saturating_add(i),
            Some(o) => o.get(i as usize).or(o.last()).copied().unwrap_or(self.base),
        }
    }

    /// The file span of a range of the expression's text.
    pub fn span(&self, r: Range) -> Span {
        let start = self.map(r.start);
        let end = if r.end > r.start {
            // The end of the last byte, so a range never spills over a line break.
            self.map(r.end - 1).saturating_add(1)
        } else {
            start
        };
        Span {
            file: self.file,
            start,
            end: end.max(start),
        }
    }
}
