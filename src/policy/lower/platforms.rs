//! The `platforms` section: what each platform may do: its minimum client version, whether it
//! consumes, shows the balance and shows offers, and whether it executes, refuses or hands off
//! exchanges. Checks that a version is numbers separated by dots, that a hand-off names a
//! declared platform, and that the platform it names executes exchanges itself.

use super::{Reader, id16};
use crate::diag::{Code, Diagnostic};
use crate::policy::model::*;
use crate::policy::read::{self, Fields};
use crate::policy::yaml::YNode;

impl Reader<'_> {
    pub(super) fn platforms(&mut self, node: &YNode) -> Vec<Platform> {
        let Some(mut f) = Fields::open(node, "`platforms`", self.diags) else {
            return Vec::new();
        };
        let entries = f.all();
        let names: Vec<String> = entries.iter().map(|(k, _, _)| k.to_string()).collect();
        let mut out = Vec::new();
        let mut delegations: Vec<(usize, &YNode, PlatformId)> = Vec::new();
        for (key, knode, v) in entries {
            let Some(name) = self.name(knode, "platform name") else {
                continue;
            };
            let Some(mut pf) = Fields::open(v, "a platform", self.diags) else {
                continue;
            };
            let display = pf
                .get("name")
                .and_then(|n| read::text(n, "`name`", self.diags))
                .unwrap_or_else(|| key.to_string());
            let min_version = pf.get("min_version").and_then(|n| {
                let s = read::text(n, "`min_version`", self.diags)?;
                let parts: Option<Vec<u32>> = s.trim().split('.').map(|p| p.parse().ok()).collect();
                if parts.is_none() {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!("`min_version` `{s}` is not a version"),
                        )
                        .at(n.span)
                        .with_help("write numbers separated by dots, like `6.0`"),
                    );
                }
                parts
            });
            let mut flag = |this: &mut Self, k: &str| {
                pf.get(k)
                    .and_then(|n| read::boolean(n, &format!("`{k}`"), this.diags))
                    .unwrap_or(false)
            };
            let consume = flag(self, "consume");
            let show_balance = flag(self, "show_balance");
            let offer = flag(self, "offer");
            let exchange = match pf.get("exchange") {
                None => Some(ExchangeCapability::Refuse),
                Some(en) if en.as_scalar().is_some() => {
                    read::word(en, "`exchange`", &["execute", "refuse"], self.diags).map(|w| {
                        if w == "execute" {
                            ExchangeCapability::Execute
                        } else {
                            ExchangeCapability::Refuse
                        }
                    })
                }
                Some(en) => Fields::open(en, "`exchange`", self.diags).and_then(|mut ef| {
                    let to = ef.require("delegate_to", self.diags).and_then(|t| {
                        self.lookup(t, "platform", Code::UnknownPlatform, &names)
                            .map(|i| (t, i))
                    });
                    let link = ef
                        .get("link")
                        .and_then(|l| read::text(l, "`link`", self.diags));
                    ef.finish(&["delegate_to", "link"], self.diags);
                    let (tnode, to) = to?;
                    delegations.push((out.len(), tnode, PlatformId(id16(to))));
                    Some(ExchangeCapability::Delegate {
                        to: PlatformId(id16(to)),
                        link,
                    })
                }),
            };
            pf.finish(
                &[
                    "name",
                    "min_version",
                    "consume",
                    "show_balance",
                    "offer",
                    "exchange",
                ],
                self.diags,
            );
            if let Some(exchange) = exchange {
                out.push(Platform {
                    name,
                    display,
                    min_version,
                    consume,
                    show_balance,
                    offer,
                    exchange,
                });
            }
        }
        // A hand-off must land on a platform that executes.
        for (_, tnode, to) in delegations {
            if let Some(target) = out.get(to.0 as usize) {
                if target.exchange != ExchangeCapability::Execute {
                    self.push(
                        Diagnostic::error(Code::HandOffLoop, format!("platform `{}` cannot execute exchanges, so it cannot receive a hand-off", target.name))
                            .at(tnode.span)
                            .with_help("delegate to a platform whose `exchange` is `execute`"),
                    );
                }
            }
        }
        out
    }
}
