//! The policies in `policies/`, compiled into the checks (no file is read while fuzzing) and
//! loaded once per process.

use std::sync::{Arc, LazyLock};

use quotient::{Limits, Policy};

use super::Violation;

/// The bundled policies' file names and texts, in the order [`policies`] returns them.
pub const TEXTS: [(&str, &str); 2] = [
    (
        "capcut-pro.yaml",
        include_str!("../../policies/capcut-pro.yaml"),
    ),
    (
        "lumen-studio.yaml",
        include_str!("../../policies/lumen-studio.yaml"),
    ),
];

static LOADED: LazyLock<Result<Vec<Arc<Policy>>, Violation>> = LazyLock::new(|| {
    TEXTS
        .iter()
        .map(|(name, text)| {
            let loaded = quotient::load_str(name, text, &Limits::default());
            loaded
                .single()
                .and_then(|set| set.latest())
                .cloned()
                .ok_or_else(|| {
                    Violation(format!(
                        "the bundled policy {name} does not load:\n{}",
                        loaded.render_human()
                    ))
                })
        })
        .collect()
});

/// The compiled bundled policies (CapCut Pro, then Lumen Studio).
pub fn policies() -> Result<&'static [Arc<Policy>], Violation> {
    LOADED.as_deref().map_err(Clone::clone)
}
