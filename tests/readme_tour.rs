//! The README's tour stays true: every `$ quotient ...` command in a `text` block of README.md
//! is run through the real binary (from the repository root, colour off), and what the README
//! shows under it must be what it prints (standard output, then standard error). A line `...` in
//! the shown output stands for any number of lines; a command with a `...` argument is an
//! abbreviation and is not run.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

/// One command of the tour and the output shown under it.
struct Shown {
    line: usize,
    command: String,
    output: Vec<String>,
}

/// Every `$ quotient` command in the README's `text` blocks, with continuation lines joined.
fn tour(readme: &str) -> Vec<Shown> {
    let mut shown: Vec<Shown> = Vec::new();
    let mut in_block = false;
    let mut continuing = false;
    // Whether output lines belong to the last command (not after a block ends or another
    // program's `$` line).
    let mut collecting = false;
    for (n, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            in_block = line == "```text";
            continuing = false;
            collecting = false;
            continue;
        }
        if !in_block {
            continue;
        }
        if continuing {
            let last = shown.last_mut().expect("a command is being continued");
            last.command.push(' ');
            last.command.push_str(line.trim().trim_end_matches('\\'));
            continuing = line.ends_with('\\');
        } else if let Some(command) = line.strip_prefix("$ quotient ") {
            shown.push(Shown {
                line: n + 1,
                command: command.trim_end_matches('\\').to_string(),
                output: Vec::new(),
            });
            continuing = line.ends_with('\\');
            collecting = true;
        } else if line.starts_with("$ ") {
            collecting = false;
        } else if collecting {
            if let Some(last) = shown.last_mut() {
                last.output.push(line.to_string());
            }
        }
    }
    shown
}

/// Splits a command line as a POSIX shell would for the quoting the README uses: single quotes,
/// double quotes with `\"`, and `#` comments.
fn shell_split(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        _ => word.push(q),
                    }
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Whether `actual` is `expected`, where an expected line `...` stands for any lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            actual.first().is_some_and(|a| a == first) && matches(rest, &actual[1..])
        }
    }
}

#[test]
fn every_command_in_the_readme_tour_prints_what_the_readme_shows() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md is readable");
    let shown = tour(&readme);
    assert!(
        shown.len() >= 8,
        "the tour has its commands: {}",
        shown.len()
    );
    let mut run = 0;
    let mut failures = Vec::new();
    for s in &shown {
        let args = shell_split(&s.command);
        if args.iter().any(|a| a == "...") {
            continue;
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, out, err) = common::quotient_with_stdin(&argv, None);
        let printed = format!("{out}{err}");
        let actual: Vec<&str> = printed.trim_end().lines().collect();
        let mut expected = s.output.clone();
        while expected.last().is_some_and(|l| l.trim().is_empty()) {
            expected.pop();
        }
        run += 1;
        if !matches(&expected, &actual) {
            failures.push(format!(
                "README.md:{}: `quotient {}` printed:\n{printed}\nthe README shows:\n{}",
                s.line,
                s.command,
                expected.join("\n")
            ));
        }
    }
    assert!(run >= 8, "most tour commands are run: {run}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_tour_reader_splits_like_a_shell() {
    assert_eq!(
        shell_split(r#"expr 'balance * 4 / 5' --vars '{"balance": 37}'    # int division"#),
        ["expr", "balance * 4 / 5", "--vars", r#"{"balance": 37}"#]
    );
    assert_eq!(shell_split(r#"a "b \"c\"" d"#), ["a", r#"b "c""#, "d"]);
    let lines = ["x".to_string(), "...".to_string(), "z".to_string()];
    assert!(matches(&lines, &["x", "y1", "y2", "z"]));
    assert!(matches(&lines, &["x", "z"]));
    assert!(!matches(&lines, &["x", "y"]));
}
