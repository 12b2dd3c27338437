//! `quotient explain <code>`: the long explanation of a diagnostic code (by number, `E0100`, or
//! by name, `unknown-unit`), with an example of the mistake and its fix, as `rustc --explain`
//! prints one. The explanations live in `docs/codes.md`, compiled into the binary.

use std::io::Write;

use super::exit;

/// Every explanation: `## E0100 unknown-unit` sections.
const CODES: &str = include_str!("../../docs/codes.md");

/// Options of `quotient explain`.
#[derive(clap::Args)]
pub struct Args {
    /// The code, as a number (`E0100`) or a name (`unknown-unit`).
    code: String,
}

/// The section for `code` (its heading and text), if there is one.
pub fn section(code: &str) -> Option<&'static str> {
    let wanted = code.trim();
    let mut sections = CODES.split("\n## ").skip(1);
    sections
        .find(|s| {
            let heading = s.lines().next().unwrap_or_default();
            heading
                .split_whitespace()
                .any(|word| word.eq_ignore_ascii_case(wanted))
        })
        .map(str::trim_end)
}

pub fn run(args: Args, out: &mut dyn Write, _err: &mut dyn Write) -> Result<i32, String> {
    match section(&args.code) {
        Some(text) => {
            let _ = writeln!(out, "{text}");
            Ok(exit::OK)
        }
        None => {
            let known = quotient::Code::ALL
                .iter()
                .map(|c| c.id())
                .collect::<Vec<_>>();
            Err(format!(
                "no code `{}`: the codes are {}",
                args.code,
                known.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_code_has_an_explanation_with_a_mistake_and_its_fix() {
        for code in quotient::Code::ALL {
            let by_id = super::section(code.id()).unwrap_or_default().to_owned();
            assert!(
                by_id.starts_with(&format!("{} {}\n", code.id(), code.name())),
                "docs/codes.md has no section `## {} {}`",
                code.id(),
                code.name()
            );
            assert!(by_id.contains("Mistake"), "{}: no mistake shown", code.id());
            assert!(by_id.contains("Fix"), "{}: no fix shown", code.id());
            assert_eq!(super::section(code.name()), Some(by_id.as_str()), "by name");
        }
        assert_eq!(super::section("E9999"), None);
    }
}
