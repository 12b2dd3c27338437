//! A real headless Chromium for page tests, driven over WebDriver: Debian's `chromedriver`
//! started on a free loopback port (one per test process), a fresh profile per session, and
//! the flags that keep Chromium off the network. Without Chromium and its driver the browser
//! tests say they skipped, and fail under `CI=true`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Driver {
    url: String,
    _child: Child,
}

static DRIVER: OnceLock<Option<Driver>> = OnceLock::new();

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_driver() -> Option<Driver> {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        return None;
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = crate::common::server::Http::new(&url);
    while Instant::now() < deadline {
        if let Ok(r) = status.try_send("GET", "/status", None, &[], None) {
            if r.body.contains("\"ready\":true") {
                return Some(Driver { url, _child: child });
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// The WebDriver URL, or `None` (said, and fatal under `CI=true`) without a browser.
pub fn driver(test: &str) -> Option<String> {
    let d = DRIVER.get_or_init(start_driver);
    match d {
        Some(d) => Some(d.url.clone()),
        None => {
            let message = format!(
                "{test}: browser test skipped: {CHROMIUM} and {CHROMEDRIVER} are needed (Debian's `chromium` and `chromium-driver`; `.ci/test` installs them)"
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{message}; under CI=true it must run");
            }
            eprintln!("{message}");
            None
        }
    }
}

/// A headless Chromium session with a fresh profile.
pub async fn session(driver: &str, profile: &std::path::Path) -> Client {
    std::fs::create_dir_all(profile).expect("profile dir");
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), serde_json::json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=900,1100",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("a browser session")
}

/// Where a test's screenshots go: `<target>/tmp/screenshots/<test>/`.
pub fn screenshots(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(test);
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Saves a screenshot of the page as `<dir>/<name>.png`.
pub async fn shot(c: &Client, dir: &std::path::Path, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
}

/// The text of the element with `id`, waiting (bounded) for it to appear.
pub async fn text_of(c: &Client, id: &str) -> String {
    let e = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"));
    e.text().await.expect("text")
}

/// Clicks the element with `id`.
pub async fn click(c: &Client, id: &str) {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"))
        .click()
        .await
        .expect("click");
}

/// The page's first heading.
pub async fn heading(c: &Client) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("h1"))
        .await
        .expect("a heading")
        .text()
        .await
        .expect("text")
}
