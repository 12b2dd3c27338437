//! The `burn_down` section: the order in which grants are spent. Checks that it is a list of
//! known keys, and that the order is total, that is, it ends with `id`, which no two grants share.

use super::Reader;
use crate::diag::{Code, Diagnostic};
use crate::policy::model::*;
use crate::policy::read;
use crate::policy::yaml::{YKind, YNode};

impl Reader<'_> {
    pub(super) fn burn_down(&mut self, node: &YNode) -> Vec<BurnKey> {
        let YKind::Seq(items) = &node.kind else {
            self.push(
                Diagnostic::error(
                    Code::WrongType,
                    format!("`burn_down` must be a list, found {}", node.describe()),
                )
                .at(node.span)
                .with_help("write it like `[priority, soonest_expiry, oldest, id]`"),
            );
            return Vec::new();
        };
        let keys: Vec<BurnKey> = items
            .iter()
            .filter_map(|i| {
                read::word(
                    i,
                    "a burn-down key",
                    &["priority", "soonest_expiry", "oldest", "id"],
                    self.diags,
                )
                .map(|w| match w {
                    "priority" => BurnKey::Priority,
                    "soonest_expiry" => BurnKey::SoonestExpiry,
                    "oldest" => BurnKey::Oldest,
                    _ => BurnKey::Id,
                })
            })
            .collect();
        if keys.len() == items.len() && !keys.contains(&BurnKey::Id) {
            self.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    "the burn-down order is not total: two grants could tie",
                )
                .at(node.span)
                .with_help("end the list with `id`, which no two grants share"),
            );
        }
        keys
    }
}
