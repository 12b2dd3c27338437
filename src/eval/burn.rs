//! The burn-down order: which grants pay first. The policy's keys decide; the grant's position in
//! the snapshot breaks any tie left, so the order is total even for a snapshot with repeated ids.
//!
//! The first few payers are picked one after another by scanning, without sorting, so the
//! common use (paid by one or two grants) does not allocate. A walk that goes on (an exchange
//! converts every grant of its unit) sorts what is left once instead of rescanning for every
//! pick: O(N log N) over N grants, not O(N^2).

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::account::Grant;
use crate::check::UnitId;
use crate::policy::Policy;
use crate::policy::model::BurnKey;

#[cfg(test)]
thread_local! {
    /// Comparisons made on this thread (tests count them to show the walk is not quadratic).
    static COMPARISONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn compare(keys: &[BurnKey], a: (usize, &Grant), b: (usize, &Grant)) -> Ordering {
    #[cfg(test)]
    COMPARISONS.with(|c| c.set(c.get() + 1));
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

/// How many payers are picked by scanning before the rest are sorted.
const SCANNED_PICKS: usize = 4;

/// The live grants of `unit` with something left, in burn-down order, as snapshot indexes.
pub(crate) struct PayOrder<'a> {
    policy: &'a Policy,
    grants: &'a [Grant],
    /// The unit's name: grants name their unit, so one comparison selects them.
    unit: &'a str,
    now: DateTime<Utc>,
    last: Option<usize>,
    picks: usize,
    /// After [`SCANNED_PICKS`] picks: the rest, sorted, and how far they have been handed out.
    sorted: Option<(Vec<usize>, usize)>,
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
            picks: 0,
            sorted: None,
        }
    }

    /// Whether `g` can pay at all.
    fn candidate(&self, g: &Grant) -> bool {
        g.remaining > Decimal::ZERO && g.is_live(self.now) && g.unit == self.unit
    }

    /// Whether grant `i` comes after the last one handed out.
    fn after_last(&self, i: usize, g: &Grant) -> bool {
        match self.last {
            Some(last) => {
                compare(&self.policy.burn_down, (i, g), (last, &self.grants[last]))
                    == Ordering::Greater
            }
            None => true,
        }
    }
}

impl Iterator for PayOrder<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let keys = &self.policy.burn_down;
        if self.sorted.is_none() && self.picks >= SCANNED_PICKS {
            let mut rest: Vec<usize> = self
                .grants
                .iter()
                .enumerate()
                .filter(|(i, g)| self.candidate(g) && self.after_last(*i, g))
                .map(|(i, _)| i)
                .collect();
            rest.sort_by(|a, b| compare(keys, (*a, &self.grants[*a]), (*b, &self.grants[*b])));
            self.sorted = Some((rest, 0));
        }
        if let Some((rest, at)) = &mut self.sorted {
            let next = rest.get(*at).copied();
            *at += 1;
            self.last = next.or(self.last);
            return next;
        }
        let mut best: Option<usize> = None;
        for (i, g) in self.grants.iter().enumerate() {
            if !self.candidate(g) || !self.after_last(i, g) {
                continue;
            }
            match best {
                Some(b) if compare(keys, (i, g), (b, &self.grants[b])) != Ordering::Less => {}
                _ => best = Some(i),
            }
        }
        self.last = best;
        self.picks += 1;
        best
    }
}

#[cfg(test)]
mod tests {
    use super::{COMPARISONS, PayOrder, compare};
    use crate::account::{Grant, GrantSource};
    use chrono::{DateTime, Duration, Utc};
    use rust_decimal::Decimal;

    fn policy() -> std::sync::Arc<crate::policy::Policy> {
        let text = include_str!("../../policies/capcut-pro.yaml");
        let loaded =
            crate::policy::load_str("capcut-pro.yaml", text, &crate::limits::Limits::default());
        loaded
            .single()
            .and_then(|s| s.latest())
            .cloned()
            .expect("loads")
    }

    /// `n` credit grants with priorities, expiries and starts that repeat in a pseudo-random way
    /// (some not live, some empty).
    fn grants(n: usize, now: DateTime<Utc>) -> Vec<Grant> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let days = i64::try_from(x % 40).unwrap_or(0);
                Grant {
                    id: format!("g{}", x % 97),
                    unit: "credit".into(),
                    amount: Decimal::from(10),
                    remaining: Decimal::from(i64::try_from(x % 3).unwrap_or(0)),
                    effective: now - Duration::days(days),
                    expires: (x % 5 != 0).then(|| now + Duration::days(days - 3)),
                    source: GrantSource::TopUp,
                    priority: i32::try_from(x % 3).unwrap_or(0),
                }
            })
            .collect()
    }

    #[test]
    fn the_walk_is_the_sorted_order() {
        let p = policy();
        let now: DateTime<Utc> = "2026-04-02T10:00:00Z".parse().expect("instant");
        for n in [0, 1, 3, 4, 5, 9, 60, 500] {
            let gs = grants(n, now);
            let walked: Vec<usize> = PayOrder::new(&p, &gs, crate::ids::UnitId(1), now).collect();
            let mut want: Vec<usize> = (0..gs.len())
                .filter(|i| {
                    let g = &gs[*i];
                    g.remaining > Decimal::ZERO && g.is_live(now) && g.unit == "credit"
                })
                .collect();
            want.sort_by(|a, b| compare(&p.burn_down, (*a, &gs[*a]), (*b, &gs[*b])));
            assert_eq!(walked, want, "{n} grants");
        }
    }

    #[test]
    fn walking_every_grant_is_not_quadratic() {
        let p = policy();
        let now: DateTime<Utc> = "2026-04-02T10:00:00Z".parse().expect("instant");
        let gs = grants(5_000, now);
        COMPARISONS.with(|c| c.set(0));
        let n = PayOrder::new(&p, &gs, crate::ids::UnitId(1), now).count();
        let made = COMPARISONS.with(std::cell::Cell::get);
        assert!(n > 1_000, "{n} payers");
        // Rescanning for every pick made about n * 5000 comparisons (millions); sorting once
        // makes a few times 5000 * log2(5000).
        assert!(made < 200_000, "{made} comparisons for {n} payers");
    }
}
