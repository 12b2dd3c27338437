//! `quotient expr <expression> [--vars JSON] [--format human|json]`: evaluate one expression, for
//! trying things out.

use std::io::Write;

use super::exit;
use super::input::Format;
use quotient::Limits;

/// Options of `quotient expr`.
#[derive(clap::Args)]
pub struct Args {
    /// The expression, e.g. 'balance * 2 + 0.5' (after `--` when it starts with `-`).
    #[arg(allow_negative_numbers = true)]
    expression: String,
    /// Variables as a JSON object, e.g. '{"balance": 20}'; numbers are read from their text, so
    /// no decimal passes through a float.
    #[arg(long, value_name = "JSON", value_parser = vars)]
    vars: Option<String>,
    /// `human`: the value as CEL writes it; `json`: `{"value": ...}` or `{"errors": [...]}`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// `--vars`: the text of a JSON object (kept as text, so numbers stay exact).
fn vars(text: &str) -> Result<String, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(text.to_owned()),
        Ok(_) => Err("must be a JSON object, like '{\"x\": 1}'".into()),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let vars = args.vars.as_deref().unwrap_or("{}");
    let evaluation =
        quotient::evaluate_expression_with_json(&args.expression, vars, &Limits::default());
    let value = evaluation.value_text();
    if args.format == Format::Json {
        let shown = match &value {
            Some(v) => serde_json::json!({ "value": v }),
            None => serde_json::json!({ "errors": evaluation.located() }),
        };
        let _ = writeln!(out, "{shown}");
    } else {
        match &value {
            Some(v) => {
                let _ = writeln!(out, "{v}");
            }
            None => {
                let _ = write!(
                    err,
                    "{}",
                    evaluation.render_human_styled(super::input::colour())
                );
            }
        }
    }
    Ok(if value.is_some() {
        exit::OK
    } else {
        exit::ERRORS
    })
}
