//! Broken policies under `tests/inputs/policies/`: each must fail to load, every diagnostic is
//! snapshotted as rendered for people, and each `# expect: CODE `text`` line at the top of a
//! case must be met by a diagnostic with that code whose span covers exactly `text`.

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quotient::Limits;

/// `# expect: E0100 `credits`` -> ("E0100", "credits")
fn expectations(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .filter_map(|rest| {
            let (code, quoted) = rest.split_once(' ')?;
            let inner = quoted.trim().strip_prefix('`')?.strip_suffix('`')?;
            Some((code.to_string(), inner.to_string()))
        })
        .collect()
}

#[test]
fn broken_policies_report_located_diagnostics() {
    // Failures are collected so one run reports every broken case, not just the first.
    let failures = std::cell::RefCell::new(Vec::<String>::new());
    insta::glob!("inputs/policies/*.yaml", |path| {
        let bytes = std::fs::read(path).expect("test input is readable");
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let name = format!("tests/inputs/policies/{file_name}");
        let loaded = quotient::load_bytes(&name, &bytes, &Limits::default());
        let fail = |m: String| failures.borrow_mut().push(m);
        if !loaded.has_errors() {
            fail(format!("{name} should not load"));
        }
        if !loaded.policies().is_empty() {
            fail(format!(
                "{name}: a policy with errors must not be handed out"
            ));
        }

        let text = String::from_utf8_lossy(&bytes);
        let wanted = expectations(&text);
        if wanted.is_empty() {
            fail(format!("{name} has no `# expect:` line"));
        }
        for (code, covered) in &wanted {
            let hit = loaded.diagnostics().iter().any(|d| {
                d.code().id() == code
                    && d.byte_range()
                        .is_some_and(|r| text.get(r) == Some(covered.as_str()))
            });
            if !hit {
                fail(format!(
                    "{name}: no {code} diagnostic covering `{covered}`; got:\n{}",
                    loaded.render_human()
                ));
            }
        }
        insta::assert_snapshot!(loaded.render_human());
    });
    let failures = failures.into_inner();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn reference_policies_load_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let loaded = quotient::load_paths(&[dir], &Limits::default());
    assert!(loaded.diagnostics().is_empty(), "{}", loaded.render_human());
    let mut names: Vec<&str> = loaded.policies().iter().map(|p| p.name()).collect();
    names.sort();
    assert_eq!(names, ["capcut-pro", "lumen-studio"]);
}

#[test]
fn a_100_kb_line_is_cut_to_a_window_around_the_caret() {
    // A YAML error in the middle of a 100 KB line: the excerpt shows about 120 columns around
    // the caret, with `...` where the line was cut, and the caret still under the character.
    let words = "lorem ".repeat(50_000 / 6);
    let text = format!("policy: broken\ndescription: {words}oops: here {words}\n");
    let loaded = quotient::load_str("long.yaml", &text, &Limits::default());
    let rendered = loaded.render_human();
    assert!(
        rendered.lines().all(|l| l.chars().count() < 140),
        "{rendered}"
    );
    let lines: Vec<&str> = rendered.lines().collect();
    let source = lines
        .iter()
        .position(|l| l.starts_with("2 | "))
        .expect("the source line is shown");
    let (shown, marks) = (lines[source], lines[source + 1]);
    assert!(
        shown.starts_with("2 | ...") && shown.ends_with("..."),
        "{shown}"
    );
    let caret = marks.find('^').expect("a caret");
    assert_eq!(&shown[caret..caret + 1], ":", "{rendered}");
    insta::assert_snapshot!(rendered);
}
