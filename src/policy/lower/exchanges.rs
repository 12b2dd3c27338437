//! The `exchanges` section: each conversion from one unit to another: its ratio and rounding,
//! who is eligible (an expression or a hook), whether it is one-time, what happens to the
//! remainder, when the grant expires, the mode it switches to, how long a quote is valid, and
//! the offer's texts. Checks that the two units differ and the ratio names them, that there are
//! at most `MAX_EXCHANGES`, that offer texts use known placeholders, and that every plan's full
//! allowance converts to something unless `allow_zero` is set.

use rust_decimal::Decimal;

use super::{Reader, id16};
use crate::check::{Expect, Scope};
use crate::diag::{Code, Diagnostic};
use crate::hooks::HookType;
use crate::policy::hooks::{HookUse, hook_use};
use crate::policy::model::*;
use crate::policy::ratio;
use crate::policy::read::{self, Fields};
use crate::policy::yaml::YNode;
use crate::syntax::ast::Range;

impl Reader<'_> {
    pub(super) fn exchanges(
        &mut self,
        node: &YNode,
        units: &[Unit],
        modes: &[String],
        plans: &[Plan],
        scope: &Scope,
    ) -> Vec<Exchange> {
        let Some(mut f) = Fields::open(node, "`exchanges`", self.diags) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, (_, knode, v)) in f.all().into_iter().enumerate() {
            let Some(name) = self.name(knode, "exchange name") else {
                continue;
            };
            // Which exchanges an account has done is one bit each in a 64-bit set.
            if i >= crate::limits::MAX_EXCHANGES {
                self.push(
                    Diagnostic::error(
                        Code::OverLimit,
                        format!(
                            "a policy may declare at most {} exchanges",
                            crate::limits::MAX_EXCHANGES
                        ),
                    )
                    .at(knode.span)
                    .with_help("split the policy, or make one exchange repeatable"),
                );
                continue;
            }
            let Some(mut ef) = Fields::open(v, "an exchange", self.diags) else {
                continue;
            };
            let from = ef
                .require("from", self.diags)
                .and_then(|n| self.unit_ref(n, units));
            let to = ef
                .require("to", self.diags)
                .and_then(|n| self.unit_ref(n, units));
            if let (Some(a), Some(b), Some(n)) = (from, to, ef.get("to")) {
                if a == b {
                    self.push(
                        Diagnostic::error(
                            Code::BadRatio,
                            "an exchange must convert between two different units",
                        )
                        .at(n.span),
                    );
                }
            }
            let ratio = ef.require("ratio", self.diags).and_then(|n| {
                let text = read::text(n, "`ratio`", self.diags)?;
                let parsed = ratio::parse(&text, n, self.diags)?;
                let origin = n.origin();
                let mut ok = true;
                for ((written, range), expected) in [(parsed.from_unit, from), (parsed.to_unit, to)] {
                    if let Some(exp) = expected {
                        let want = &units[exp.0 as usize].name;
                        if written != want {
                            ok = false;
                            self.push(
                                Diagnostic::error(Code::RatioUnitMismatch, format!("ratio names `{written}` where the exchange converts `{want}`"))
                                    .at(origin.span(range))
                                    .with_help(format!("write `{want}` here")),
                            );
                        }
                    }
                }
                ok.then_some((Ratio { from: parsed.from_amount, to: parsed.to_amount }, n))
            });
            let rounding = ef.require("rounding", self.diags).and_then(|n| {
                read::word(
                    n,
                    "`rounding`",
                    &["floor", "ceiling", "half_even", "exact"],
                    self.diags,
                )
                .map(|w| match w {
                    "floor" => Rounding::Floor,
                    "ceiling" => Rounding::Ceiling,
                    "half_even" => Rounding::HalfEven,
                    _ => Rounding::Exact,
                })
            });
            let one_time = ef
                .require("one_time", self.diags)
                .and_then(|n| read::boolean(n, "`one_time`", self.diags));
            let eligible = ef.require("eligible", self.diags).and_then(|n| {
                match hook_use(n, &self.hooks, HookType::Bool, units, self.diags) {
                    HookUse::Hook(h) => Some(Rule::Hook(h)),
                    HookUse::Invalid => None,
                    HookUse::NotAHook => {
                        let text = read::text(n, "`eligible`", self.diags)?;
                        self.compile(n, &text, scope, Expect::Bool).map(Rule::Expr)
                    }
                }
            });
            let forfeit_remainder = ef.get("forfeit_remainder").map_or(Some(true), |n| {
                read::boolean(n, "`forfeit_remainder`", self.diags)
            });
            let grant_expires = ef.get("grant_expires").map_or(Some(Expiry::CycleEnd), |n| {
                self.expiry(n, "`grant_expires`")
            });
            let switch_mode = match ef.get("switch_mode") {
                None => Some(None),
                Some(n) => self
                    .lookup(n, "mode", Code::UnknownMode, modes)
                    .map(|i| Some(ModeId(id16(i)))),
            };
            let quote_valid = ef.get("quote_valid_for").map_or(Some(900), |n| {
                read::duration(n, "`quote_valid_for`", self.diags)
            });
            let allow_zero = ef.get("allow_zero").map_or(Some(false), |n| {
                read::boolean(n, "`allow_zero`", self.diags)
            });
            let offer = ef.get("offer").map(|n| self.offer(n)).unwrap_or_default();
            ef.finish(
                &[
                    "from",
                    "to",
                    "ratio",
                    "rounding",
                    "one_time",
                    "eligible",
                    "forfeit_remainder",
                    "grant_expires",
                    "switch_mode",
                    "quote_valid_for",
                    "allow_zero",
                    "offer",
                ],
                self.diags,
            );
            let (
                Some(from),
                Some(to),
                Some((ratio, ratio_node)),
                Some(rounding),
                Some(one_time),
                Some(eligible),
            ) = (from, to, ratio, rounding, one_time, eligible)
            else {
                continue;
            };
            let (
                Some(forfeit_remainder),
                Some(grant_expires),
                Some(switch_mode),
                Some(quote_valid_for_secs),
                Some(allow_zero),
            ) = (
                forfeit_remainder,
                grant_expires,
                switch_mode,
                quote_valid,
                allow_zero,
            )
            else {
                continue;
            };
            let exchange = Exchange {
                name,
                from,
                to,
                ratio,
                rounding,
                one_time,
                eligible,
                forfeit_remainder,
                grant_expires,
                switch_mode,
                quote_valid_for_secs,
                allow_zero,
                offer,
            };
            self.check_conversion(&exchange, units, plans, ratio_node);
            out.push(exchange);
        }
        out
    }

    /// A full cycle's allowance of the source unit must convert to something, unless the policy
    /// explicitly allows giving nothing.
    fn check_conversion(
        &mut self,
        e: &Exchange,
        units: &[Unit],
        plans: &[Plan],
        ratio_node: &YNode,
    ) {
        if e.allow_zero {
            return;
        }
        let to = &units[e.to.0 as usize];
        for plan in plans {
            for a in plan
                .allowances
                .iter()
                .filter(|a| a.unit == e.from && a.amount > Decimal::ZERO)
            {
                let converted = e.ratio.convert(a.amount, to.decimals, e.rounding);
                let gives_nothing = converted.as_ref().is_none_or(|c| c.amount.is_zero());
                if gives_nothing {
                    let what = match converted {
                        None if e.rounding == Rounding::Exact => {
                            "cannot be converted exactly".to_string()
                        }
                        _ => format!("converts to 0 `{}`", to.name),
                    };
                    self.push(
                        Diagnostic::error(
                            Code::ConversionGivesNothing,
                            format!("plan `{}`'s full allowance of {} `{}` {what}", plan.name, a.amount, units[e.from.0 as usize].name),
                        )
                        .at(ratio_node.span)
                        .with_help(if e.rounding == Rounding::Exact {
                            "use `floor`, `ceiling` or `half_even`, or a ratio under which the allowance converts exactly"
                        } else {
                            "change the ratio or the rounding, or set `allow_zero: true` to allow giving nothing"
                        }),
                    );
                    return;
                }
            }
        }
    }

    fn offer(&mut self, node: &YNode) -> OfferText {
        const PLACEHOLDERS: &[&str] = &[
            "from_amount",
            "to_amount",
            "from_unit",
            "to_unit",
            "remainder",
            "expires",
            "exact",
        ];
        let Some(mut f) = Fields::open(node, "`offer`", self.diags) else {
            return OfferText::default();
        };
        let mut text = |this: &mut Self, key: &str| -> String {
            let Some(n) = f.get(key) else {
                return String::new();
            };
            let Some(s) = read::text(n, &format!("`{key}`"), this.diags) else {
                return String::new();
            };
            let origin = n.origin();
            let mut rest = 0;
            while let Some(open) = s[rest..].find('{').map(|i| i + rest) {
                let Some(close) = s[open..].find('}').map(|i| i + open) else {
                    break;
                };
                let ph = &s[open + 1..close];
                if !PLACEHOLDERS.contains(&ph) {
                    this.push(
                        Diagnostic::error(
                            Code::UnknownPlaceholder,
                            format!("unknown placeholder `{{{ph}}}`"),
                        )
                        .at(origin.span(Range::new(open, close + 1)))
                        .suggest(ph, PLACEHOLDERS.iter().copied()),
                    );
                }
                rest = close + 1;
            }
            s
        };
        let title = text(self, "title");
        let body = text(self, "body");
        let confirm = text(self, "confirm");
        let warning = text(self, "warning");
        f.finish(&["title", "body", "confirm", "warning"], self.diags);
        OfferText {
            title,
            body,
            confirm,
            warning,
        }
    }
}
