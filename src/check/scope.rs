//! What an expression can see: a tree of named facts, each a [`Slot`] with a [`Type`].

use super::types::Type;
use crate::expr::Slot;

/// A named fact or group of facts.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub node: ScopeNode,
    /// For groups whose members are policy names (units, exchanges): the code and noun to
    /// report an unknown member with, like `E0100 unknown unit`.
    pub members: Option<(crate::diag::Code, &'static str)>,
}

#[derive(Debug, Clone)]
pub enum ScopeNode {
    Fact { slot: Slot, ty: Type },
    Group(Vec<Entry>),
}

/// The names visible to one kind of expression, with the unit names for messages.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub(crate) roots: Vec<Entry>,
    pub(crate) units: Vec<String>,
    /// Names not visible here but visible elsewhere, with the help to show if used.
    pub(crate) elsewhere: Vec<(String, String)>,
}

impl Scope {
    pub fn new(units: Vec<String>) -> Self {
        Scope {
            units,
            ..Scope::default()
        }
    }

    /// Declares a fact at a dotted path (`account.plan`), creating groups on the way.
    pub fn fact(&mut self, path: &str, slot: Slot, ty: Type) -> &mut Self {
        let mut entries = &mut self.roots;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            let last = parts.peek().is_none();
            let pos = match entries.iter().position(|e| e.name == part) {
                Some(p) => p,
                None => {
                    let node = if last {
                        ScopeNode::Fact {
                            slot,
                            ty: ty.clone(),
                        }
                    } else {
                        ScopeNode::Group(Vec::new())
                    };
                    entries.push(Entry {
                        name: part.to_string(),
                        node,
                        members: None,
                    });
                    entries.len() - 1
                }
            };
            match &mut entries[pos].node {
                ScopeNode::Group(children) if !last => entries = children,
                _ => break,
            }
        }
        self
    }

    /// Declares a group at a dotted path (possibly empty), so that `balance` or
    /// `account.exchanged` exist even when the policy puts nothing in them.
    pub fn group(&mut self, path: &str) -> &mut Self {
        let mut entries = &mut self.roots;
        for part in path.split('.') {
            let pos = match entries.iter().position(|e| e.name == part) {
                Some(p) => p,
                None => {
                    entries.push(Entry {
                        name: part.to_string(),
                        node: ScopeNode::Group(Vec::new()),
                        members: None,
                    });
                    entries.len() - 1
                }
            };
            match &mut entries[pos].node {
                ScopeNode::Group(children) => entries = children,
                ScopeNode::Fact { .. } => break,
            }
        }
        self
    }

    /// Says how to report an unknown member of the group at `path`.
    pub fn members_are(
        &mut self,
        path: &str,
        code: crate::diag::Code,
        noun: &'static str,
    ) -> &mut Self {
        let mut entries = &mut self.roots;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            let Some(e) = entries.iter_mut().find(|e| e.name == part) else {
                return self;
            };
            if parts.peek().is_none() {
                e.members = Some((code, noun));
                return self;
            }
            match &mut e.node {
                ScopeNode::Group(children) => entries = children,
                ScopeNode::Fact { .. } => return self,
            }
        }
        self
    }

    /// Records that `name` exists in other places, with help to show when used here.
    pub fn elsewhere(&mut self, name: &str, help: impl Into<String>) -> &mut Self {
        self.elsewhere.push((name.to_string(), help.into()));
        self
    }
}
