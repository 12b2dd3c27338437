//! Policies: reading YAML files into checked, compiled [`Policy`] values.
//!
//! `yaml` turns text into a spanned tree (serde-saphyr), `read` has the small typed readers,
//! `lower` builds the model section by section while collecting every diagnostic, `facts` says
//! what expressions can see, and `load` handles files, directories and versions. Nothing here
//! evaluates a request; that is `eval/`.

mod describe;
pub mod facts;
pub mod hooks;
mod load;
mod lower;
// Internal: reachable from outside only through `unstable`, which promises nothing.
#[cfg_attr(feature = "unstable", allow(missing_docs))]
pub mod model;
pub mod ratio;
mod read;
mod scalar_map;
mod unclosed;
mod yaml;

pub use describe::{ExchangeInfo, FeatureInfo, PlanInfo, PlatformInfo, UnitInfo};
pub use load::{
    HookScript, HookSource, Loaded, PolicySet, load_bytes, load_paths, load_str, load_str_with,
};
pub use model::*;
