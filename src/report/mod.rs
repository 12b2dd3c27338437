//! Decisions for people and programs. [`Decision::report`] builds a [`DecisionReport`], the
//! owned, serializable shape of a decision, used by the CLI's JSON output, `--explain`,
//! timelines, snapshot tests and the service. Building one allocates; deciding does not need it.
//! Presentation lives here and nowhere in `eval/`: the evaluator produces facts as ids and
//! amounts, this module turns them into words.

mod shapes;
mod text;
mod value;
mod words;

pub use shapes::*;
pub use value::FeatureValue;

use crate::account::Snapshot;
use crate::eval::Decision;
use crate::policy::Policy;
use crate::policy::model::TimeZoneSource;
use words::Words;

impl Decision<'_> {
    /// The decision in words, with names from `policy` and grant ids from `snapshot` (the one it
    /// was decided on).
    pub fn report(&self, policy: &Policy, snapshot: &Snapshot) -> DecisionReport {
        let zone_name = match &policy.cycle.time_zone {
            TimeZoneSource::Account => snapshot.time_zone.as_str(),
            TimeZoneSource::Fixed(z) => z.as_str(),
        };
        let w = Words {
            policy,
            zone: zone_name.parse().ok(),
        };
        let balances = policy
            .units
            .iter()
            .zip(self.balances.iter())
            .map(|(u, b)| (u.name.clone(), b.normalize().to_string()))
            .collect();
        let use_detail = self.use_detail.as_ref();
        let offer = use_detail.and_then(|u| u.offer).and_then(|o| {
            let x = policy.exchanges.get(o.quote.exchange.0 as usize)?;
            Some(OfferReport {
                exchange: x.name.clone(),
                title: w.fill(&x.offer.title, &o.quote),
                body: w.fill(&x.offer.body, &o.quote),
                confirm: w.fill(&x.offer.confirm, &o.quote),
                warning: w.fill(&x.offer.warning, &o.quote),
                action: match o.hand_off_to {
                    None => "execute here".to_string(),
                    Some(to) => match self.platform.and_then(|p| w.link(p)) {
                        Some(link) => format!("open {}: {link}", w.platform(to)),
                        None => format!("continue on {}", w.platform(to)),
                    },
                },
                quote: w.quote(&o.quote),
            })
        });
        DecisionReport {
            request: self.request_id.to_string(),
            kind: self.kind.as_str(),
            at: self.at,
            policy: format!("{}@{}", policy.name, policy.version),
            outcome: self.outcome.as_str(),
            reasons: self
                .reasons
                .iter()
                .map(|r| w.reason(r, self, snapshot))
                .collect(),
            cycle: CycleReport {
                index: self.cycle.index,
                start: self.cycle.start,
                end: self.cycle.end,
            },
            balances,
            feature: use_detail
                .and_then(|u| policy.features.get(u.feature.0 as usize))
                .map(|f| f.name.clone()),
            cost: use_detail.and_then(|u| u.cost).map(|(unit, a)| CostReport {
                unit: w.unit(unit).to_string(),
                amount: a.normalize().to_string(),
                text: w.amount(unit, a),
            }),
            charges: use_detail
                .map(|u| {
                    u.charges
                        .iter()
                        .map(|c| ChargeReport {
                            grant: snapshot
                                .grants
                                .get(c.grant)
                                .map_or("?".into(), |g| g.id.clone()),
                            amount: c.amount.normalize().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            offer,
            quote: self.quote.as_ref().map(|q| w.quote(q)),
            hand_off: self.hand_off_to.map(|to| HandOffReport {
                platform: w.platform(to).to_string(),
                link: self.platform.and_then(|p| w.link(p)),
            }),
            changes: self
                .changes
                .as_ref()
                .map_or_else(Vec::new, |c| w.changes(c, snapshot)),
            trace: self.trace.clone(),
        }
    }
}
