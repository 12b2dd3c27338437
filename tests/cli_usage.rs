//! The command line as people meet it: each case under `tests/inputs/cli/` is a command line
//! (`args`, and optionally a file fed to standard input), run through the real binary with colour
//! off; the snapshot holds its exit code, standard output and standard error. Help and version
//! go to stdout with exit 0, every usage error to stderr with exit 2; `-` reads standard input;
//! `--` ends the options; completions and the man page come from the same definitions.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

/// One case file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    args: Vec<String>,
    #[serde(default)]
    stdin_file: Option<String>,
}

#[test]
fn command_lines_print_what_people_expect() {
    insta::glob!("inputs/cli/*.yaml", |path| {
        let text = std::fs::read_to_string(path).expect("the case is readable");
        let case: Case = serde_saphyr::from_str(&text).expect("the case is well formed");
        let stdin = case.stdin_file.as_ref().map(|f| {
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f))
                .expect("the standard input file is readable")
        });
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let (code, out, err) = common::quotient_with_stdin(&args, stdin.as_deref());
        let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or("?");
        // The contract every case shares, whatever its snapshot says.
        if name.starts_with("usage_") || name == "no_arguments" {
            assert_eq!(code, 2, "{name}: a usage error exits 2\n{err}");
            assert_eq!(out, "", "{name}: a usage error prints nothing on stdout");
            let said = err.starts_with("error:") || name == "no_arguments";
            assert!(said, "{name}: says what is wrong\n{err}");
        }
        if name.contains("help") || name.starts_with("version") {
            assert_eq!(code, 0, "{name}: help and version exit 0\n{err}");
            assert_eq!(err, "", "{name}: help and version go to stdout");
        }
        insta::assert_snapshot!(format!(
            "{}\nexit: {code}\n--- stdout\n{out}--- stderr\n{err}",
            format!("$ quotient {}", shell_words(&case.args)).trim_end()
        ));
    });
}

/// The arguments as one would type them in a shell.
fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
