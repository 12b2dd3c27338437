//! `quotient expr '<expression>' [--vars JSON]`: evaluate one expression, for trying things out.

use std::io::Write;

use super::{Args, exit};
use quotient::Limits;

pub fn run(args: &mut Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let vars = match args.value("vars")? {
        Some(json) => match serde_json::from_str::<serde_json::Value>(&json) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(_) => return Err("`--vars` must be a JSON object, like '{\"x\": 1}'".into()),
            Err(e) => return Err(format!("`--vars` is not valid JSON: {e}")),
        },
        None => serde_json::Map::new(),
    };
    let Some(text) = args.next_positional() else {
        return Err("`expr` needs an expression".into());
    };
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
    let evaluation = quotient::evaluate_expression(&text, &vars, &Limits::default());
    match evaluation.value_text() {
        Some(v) => {
            let _ = writeln!(out, "{v}");
            Ok(exit::OK)
        }
        None => {
            let _ = write!(err, "{}", evaluation.render_human());
            Ok(exit::ERRORS)
        }
    }
}
