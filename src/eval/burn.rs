//! The burn-down order: which grants pay first. The policy's keys decide; the grant's position in
//! the snapshot breaks any tie left, so the order is total even for a snapshot with repeated ids.
//! Grants are picked one after another without sorting, so choosing payers does not allocate.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::account::Grant;
use crate::check::UnitId;
use crate::policy::Policy;
use crate::policy::model::BurnKey;

fn compare(keys: &[BurnKey], a: (usize, &Grant), b: (usize, &Grant)) -> Ordering {
    for key in keys {
        let o = match key {
            BurnKey::Priority => b.1.priority.cmp(&a.1.priority),
            BurnKey::SoonestExpiry => match (a.1.expires, b.1.expires) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
            BurnKey::Oldest => a.1.effective.cmp(&b.1.effective),
            BurnKey::Id => a.1.id.cmp(&b.1.id),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.0.cmp(&b.0)
}

/// The live grants of `unit` with something left, in burn-down order, as snapshot indexes.
pub(crate) struct PayOrder<'a> {
    policy: &'a Policy,
    grants: &'a [Grant],
    /// The unit's name: grants name their unit, so one comparison selects them.
    unit: &'a str,
    now: DateTime<Utc>,
    last: Option<usize>,
}

impl<'a> PayOrder<'a> {
    pub fn new(policy: &'a Policy, grants: &'a [Grant], unit: UnitId, now: DateTime<Utc>) -> Self {
        PayOrder {
            policy,
            grants,
            unit: policy
                .units
                .get(unit.0 as usize)
                .map_or("", |u| u.name.as_str()),
            now,
            last: None,
        }
    }
}

impl Iterator for PayOrder<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let keys = &self.policy.burn_down;
        let mut best: Option<usize> = None;
        for (i, g) in self.grants.iter().enumerate() {
            if g.remaining <= Decimal::ZERO || !g.is_live(self.now) || g.unit != self.unit {
                continue;
            }
            if let Some(last) = self.last {
                if compare(keys, (i, g), (last, &self.grants[last])) != Ordering::Greater {
                    continue;
                }
            }
            match best {
                Some(b) if compare(keys, (i, g), (b, &self.grants[b])) != Ordering::Less => {}
                _ => best = Some(i),
            }
        }
        self.last = best;
        best
    }
}
