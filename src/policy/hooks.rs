//! Reading a policy's `hooks:` section and the `{ hook: name }` references that stand in for an
//! expression (a cost, an eligibility rule) or an amount (an allowance). Each hook declares what
//! it returns (`amount of <unit>` or `condition`); its script is inline (`script:`) or in a file
//! beside the policy (`file:`), which only the loader may read (through [`ScriptFiles`]). Every
//! script is compiled here, once, in the policy's sandbox; a syntax error, an unknown variable or
//! a limit is reported at its line and column inside the YAML string or the `.rhai` file.

use super::model::Unit;
use super::read::{self, Fields};
use super::yaml::{YKind, YNode};
use crate::check::UnitId;
use crate::diag::{Code, Diagnostic, Diagnostics, FileId, Span};
use crate::hooks::properties::{Declared, unknown_properties};
use crate::hooks::{Hook, HookId, HookSet, HookType};
use crate::limits::Limits;
use crate::syntax::ast::Range;

/// Reads the script files hooks name; the loader implements it, so lowering does no IO itself.
pub trait ScriptFiles {
    /// The file's id in the source map and its text, for `relative` to the policy file.
    fn read(&mut self, relative: &str) -> Result<(FileId, String), String>;
}

/// The byte offset of 1-based `line` and `column` (in characters) in `text`.
fn offset(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let within: usize = l
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return start + within;
        }
        start += l.len();
    }
    text.len()
}

/// Reads `hooks:`; every hook is compiled, every problem reported. `params` are the parameter
/// names of every feature, which a hook may read as `params.<name>`.
pub fn read_hooks(
    node: &YNode,
    units: &[Unit],
    params: &[String],
    limits: &Limits,
    files: &mut dyn ScriptFiles,
    diags: &mut Diagnostics,
) -> HookSet {
    let mut set = HookSet::new(limits);
    let unit_names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
    let Some(mut f) = Fields::open(node, "`hooks`", diags) else {
        return set;
    };
    for (name, key, value) in f.all() {
        let Some(mut h) = Fields::open(value, "a hook", diags) else {
            continue;
        };
        let returns = h
            .require("returns", diags)
            .and_then(|n| returns(n, units, diags));
        let script = match (h.get("script"), h.get("file")) {
            (Some(n), None) => read::text(n, "`script`", diags).map(|t| (t, n.origin(), None)),
            (None, Some(n)) => read::text(n, "`file`", diags).and_then(|path| match files.read(&path) {
                Ok((file, text)) => Some((text, crate::syntax::Origin::verbatim(file, 0), Some(file))),
                Err(e) => {
                    diags.push(
                        Diagnostic::error(Code::HookScriptFile, format!("cannot read the script `{path}`: {e}"))
                            .at(n.span)
                            .with_help("name a `.rhai` file in the policy's directory, or write the script inline with `script:`"),
                    );
                    None
                }
            }),
            (Some(n), Some(_)) => {
                diags.push(
                    Diagnostic::error(Code::InvalidValue, "a hook has either `script` or `file`, not both")
                        .at(n.span)
                        .with_help("keep the one that holds the script"),
                );
                None
            }
            (None, None) => {
                diags.push(
                    Diagnostic::error(Code::MissingKey, format!("hook `{name}` has no script"))
                        .at(key.span)
                        .with_help("add `script: |` with the rhai code, or `file: <name>.rhai`"),
                );
                None
            }
        };
        h.finish(&["returns", "script", "file"], diags);
        let (Some(returns), Some((text, origin, file))) = (returns, script) else {
            set.broken.push(name.to_string());
            continue;
        };
        // The character rhai points at, or the whole name when it points at one.
        let span_at = |line: usize, column: usize| -> Span {
            let at = offset(&text, line, column);
            let word = text[at..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(text.len() - at);
            let end = if word > 0 {
                at + word
            } else {
                text[at..].chars().next().map_or(at, |c| at + c.len_utf8())
            };
            match file {
                Some(file) => Span::new(file, at, end),
                None => origin.span(Range::new(at, end)),
            }
        };
        if text.len() > limits.hook_max_script_len {
            diags.push(
                Diagnostic::error(
                    Code::HookSyntax,
                    format!(
                        "the script of hook `{name}` is longer than {} bytes",
                        limits.hook_max_script_len
                    ),
                )
                .at(span_at(1, 1))
                .with_help("move what it computes into the policy's data, or shorten it"),
            );
            set.broken.push(name.to_string());
            continue;
        }
        match set.sandbox().compile(&text) {
            Ok(ast) => {
                let declared = Declared {
                    units: &unit_names,
                    params,
                };
                for u in unknown_properties(&ast, &declared) {
                    let known = declared.properties(&u.input).unwrap_or_default();
                    // `balance["credits"]`: rhai points at the quote; the name is after it.
                    let quoted = text[offset(&text, u.line, u.column)..].starts_with('"');
                    let column = u.column + usize::from(quoted);
                    diags.push(
                        Diagnostic::error(
                            Code::HookUnknownProperty,
                            format!(
                                "hook `{name}`: `{}` has no property `{}`",
                                u.input, u.property
                            ),
                        )
                        .at(span_at(u.line, column))
                        .suggest_or_list(
                            &u.property,
                            &known,
                            &format!("`{}` has", u.input),
                        ),
                    );
                }
                set.hooks.push(Hook {
                    name: name.to_string(),
                    returns,
                    ast: std::sync::Arc::new(ast),
                    script: text.as_str().into(),
                });
            }
            Err((message, line, column)) => {
                set.broken.push(name.to_string());
                // An unclosed `{` is noticed at the end of the script: say where it opened.
                let stopped = offset(&text, line, column);
                if let Some(mut d) = crate::syntax::unbalanced_in_script(&text, stopped, &origin) {
                    d.code = Code::HookSyntax;
                    d.message = format!("hook `{name}`: {}", d.message);
                    diags.push(d);
                    continue;
                }
                let unknown = message
                    .split("ndefined variable: ")
                    .nth(1)
                    .map(|v| v.trim().trim_matches('\'').to_string());
                let near = unknown
                    .as_deref()
                    .and_then(|v| crate::diag::did_you_mean(v, crate::hooks::sandbox::INPUTS));
                let help = if let Some(near) = near {
                    format!("did you mean `{near}`?")
                } else if unknown.is_some() {
                    "a hook reads `account`, `balance`, `cycle`, `platform`, `request` and `params`, and the variables it declares with `let`".to_string()
                } else {
                    "see the rhai book for the syntax; imports, `eval` and floats are not available in hooks".to_string()
                };
                diags.push(
                    Diagnostic::error(
                        Code::HookSyntax,
                        format!("hook `{name}`: {}", message.to_lowercase()),
                    )
                    .at(span_at(line, column))
                    .with_help(help),
                );
            }
        }
    }
    set
}

/// `amount of <unit>` or `condition`.
fn returns(node: &YNode, units: &[Unit], diags: &mut Diagnostics) -> Option<HookType> {
    let text = read::text(node, "`returns`", diags)?;
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["condition"] | ["bool"] => Some(HookType::Bool),
        ["amount", "of", unit] => match units.iter().position(|u| u.name == *unit) {
            Some(i) => Some(HookType::Amount(UnitId(u8::try_from(i).unwrap_or(u8::MAX)))),
            None => {
                diags.push(
                    Diagnostic::error(Code::UnknownUnit, format!("unknown unit `{unit}`"))
                        .at(node.span)
                        .suggest(unit, units.iter().map(|u| u.name.as_str())),
                );
                None
            }
        },
        _ => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("`returns: {}` is not a hook result", text.trim()),
                )
                .at(node.span)
                .with_help("write `returns: amount of <unit>` or `returns: condition`"),
            );
            None
        }
    }
}

/// What a value that may be `{ hook: name }` turned out to be.
pub enum HookUse {
    /// Not a hook reference: read it as an expression or amount.
    NotAHook,
    Hook(HookId),
    /// A hook reference with a problem (reported).
    Invalid,
}

/// Reads `{ hook: name }` where a rule expecting `want` may be a hook.
pub fn hook_use(
    node: &YNode,
    hooks: &HookSet,
    want: HookType,
    units: &[Unit],
    diags: &mut Diagnostics,
) -> HookUse {
    if !matches!(node.kind, YKind::Map(_)) {
        return HookUse::NotAHook;
    }
    let Some(mut f) = Fields::open(node, "a hook reference", diags) else {
        return HookUse::Invalid;
    };
    let Some(n) = f.require("hook", diags) else {
        return HookUse::Invalid;
    };
    f.finish(&["hook"], diags);
    let Some(name) = read::text(n, "`hook`", diags) else {
        return HookUse::Invalid;
    };
    let Some(i) = hooks.hooks.iter().position(|h| h.name == name) else {
        if hooks.broken.contains(&name) {
            return HookUse::Invalid; // its own error is reported where it is declared
        }
        diags.push(
            Diagnostic::error(Code::UnknownHook, format!("unknown hook `{name}`"))
                .at(n.span)
                .suggest_or_list(
                    &name,
                    &hooks
                        .hooks
                        .iter()
                        .map(|h| h.name.as_str())
                        .collect::<Vec<_>>(),
                    "hooks",
                ),
        );
        return HookUse::Invalid;
    };
    let hook = &hooks.hooks[i];
    if hook.returns != want {
        let word = |t: HookType| match t {
            HookType::Bool => "a condition".to_string(),
            HookType::Amount(u) => format!(
                "an amount of `{}`",
                units.get(u.0 as usize).map_or("?", |u| u.name.as_str())
            ),
        };
        diags.push(
            Diagnostic::error(
                Code::HookResultType,
                format!(
                    "hook `{name}` returns {}, but {} is needed here",
                    word(hook.returns),
                    word(want)
                ),
            )
            .at(n.span)
            .with_help("use a hook declared with the right `returns`"),
        );
        return HookUse::Invalid;
    }
    HookUse::Hook(HookId(u16::try_from(i).unwrap_or(u16::MAX)))
}
