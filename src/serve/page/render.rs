//! The exchange page's HTML: minijinja templates compiled into the binary (`templates/exchange/`,
//! HTML auto-escaped), the words they need (a quote in the account's own units and local
//! time), and the security headers every page response carries.

use std::sync::LazyLock;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use minijinja::Environment;
use serde::Serialize;

/// The templates, compiled once.
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, text) in [
        (
            "layout.html",
            include_str!("../../../templates/exchange/layout.html"),
        ),
        (
            "quote.html",
            include_str!("../../../templates/exchange/quote.html"),
        ),
        (
            "warning.html",
            include_str!("../../../templates/exchange/warning.html"),
        ),
        (
            "done.html",
            include_str!("../../../templates/exchange/done.html"),
        ),
        (
            "message.html",
            include_str!("../../../templates/exchange/message.html"),
        ),
    ] {
        // A template that does not compile is caught by the page tests; the page then says so.
        let _ = env.add_template(name, text);
    }
    env
});

/// The stylesheet, served from `/exchange/style.css` (a strict CSP allows no inline style).
pub const STYLE: &str = include_str!("../../../templates/exchange/style.css");

/// The Content-Security-Policy of every page: nothing but this origin's stylesheet and forms.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Every page response's security headers.
pub fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(CSP),
    );
    h.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    h.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// Renders template `name` with `context` as a page with `status`.
pub fn page<S: Serialize>(status: StatusCode, name: &str, context: S) -> Response {
    let html = TEMPLATES.get_template(name).and_then(|t| t.render(context));
    match html {
        Ok(html) => secure((status, Html(html)).into_response()),
        Err(e) => secure(
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the page could not be rendered: {e}"),
            )
                .into_response(),
        ),
    }
}

/// A page that says what happened and what to do next.
pub fn message(
    status: StatusCode,
    product: &str,
    heading: &str,
    message: &str,
    next: &str,
) -> Response {
    #[derive(Serialize)]
    struct Ctx<'a> {
        product: &'a str,
        heading: &'a str,
        message: &'a str,
        next: &'a str,
    }
    page(
        status,
        "message.html",
        Ctx {
            product,
            heading,
            message,
            next,
        },
    )
}

/// A quote in the account's own words.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteWords {
    /// What is given up (`35`).
    pub from_amount: String,
    /// Its unit, for people (`Pro uses`).
    pub from_display: String,
    /// What is received (`28`).
    pub to_amount: String,
    /// Its unit, for people (`credits`).
    pub to_display: String,
    /// The exact value and the rounding, in a sentence.
    pub exactly: String,
    /// What is forfeited, when something is.
    pub remainder_note: Option<String>,
    /// When the credits expire, on the account's wall clock.
    pub expires_local: String,
    /// What future cycles grant, when the exchange switches the account's mode.
    pub future_note: Option<String>,
    /// The account version the quote belongs to.
    pub balance_version: u64,
}

/// `t` on the wall clock of `zone`, as people read it.
pub fn local(t: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    t.with_timezone(&zone)
        .format("%A %-d %B %Y, %H:%M %Z")
        .to_string()
}

/// How a rounding mode reads.
pub fn rounding_words(rounding: &str) -> &'static str {
    match rounding {
        "floor" => "rounded down",
        "ceiling" => "rounded up",
        "half_even" => "rounded to the nearest (halves to even)",
        _ => "exact",
    }
}
