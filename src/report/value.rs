//! What an exchange does to a user's AI operations (DOMAIN rule 6: credits may buy fewer than
//! the Pro uses did): for each feature, how many uses the balance given up would have bought
//! and how many the amount received buys, each priced at a typical use of the feature (typical
//! parameters, no account facts), rounded down.

use rust_decimal::Decimal;

use crate::eval::{Quote, typical_cost, typical_use};
use crate::policy::Policy;

/// One feature's uses before and after an exchange.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeatureValue {
    /// The feature's name (`ai_image_generation`).
    pub feature: String,
    /// Its name for people (`AI Image Generation`).
    pub display: String,
    /// Uses the amount given up would have bought (`None`: the feature has no cost in that unit).
    pub before: Option<u64>,
    /// Uses the amount received buys (`None`: the feature has no cost in that unit).
    pub after: Option<u64>,
}

impl Quote {
    /// For every feature that costs the exchange's source or target unit, the uses before and
    /// after this quote's exchange.
    pub fn value_per_feature(&self, policy: &Policy) -> Vec<FeatureValue> {
        let Some(x) = policy.exchanges.get(self.exchange.0 as usize) else {
            return Vec::new();
        };
        policy
            .features
            .iter()
            .filter_map(|f| {
                let request = typical_use(f);
                let count = |amount: Decimal, unit| -> Option<u64> {
                    let cost = typical_cost(policy, &request, unit)?;
                    if cost <= Decimal::ZERO {
                        return None;
                    }
                    (amount / cost).floor().to_string().parse::<u64>().ok()
                };
                let before = count(self.from_amount, x.from);
                let after = count(self.to_amount, x.to);
                (before.is_some() || after.is_some()).then(|| FeatureValue {
                    feature: f.name.clone(),
                    display: f.display.clone(),
                    before,
                    after,
                })
            })
            .collect()
    }
}
