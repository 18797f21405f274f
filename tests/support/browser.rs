//! A real headless Chromium driven over WebDriver ([fantoccini]): [`ChromeDriver`] starts
//! `chromedriver` on a free port and stops it (by its own pid) when dropped; each
//! [`Browser`] is one session with a fresh profile, on a phone (412×915) or a desktop
//! ([`Screen`]).
//!
//! The browser tests are required, not optional: without `chromedriver` and `chromium`
//! installed they fail, naming the command that installs them ([`INSTALL`]).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::web::TestApp;

/// What installs the browser (Debian 12).
pub const INSTALL: &str = "apt-get install -y chromium chromium-driver fonts-wqy-microhei";

/// The browser binary the sessions run.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a page or an element may take to appear.
const PATIENCE: Duration = Duration::from_secs(15);

/// A `chromedriver` process on 127.0.0.1, killed by its pid on drop.
pub struct ChromeDriver {
    child: Child,
    port: u16,
    url: String,
    /// The sessions opened, ended on drop: Chromium outlives a killed chromedriver otherwise.
    sessions: Mutex<Vec<String>>,
}

impl ChromeDriver {
    /// Starts `chromedriver --port=N` on a free port and waits until it answers `/status`.
    pub async fn start() -> ChromeDriver {
        if !std::path::Path::new(CHROMIUM).exists() {
            panic!("{CHROMIUM} is missing: the browser tests need it; install it with `{INSTALL}`");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port for chromedriver")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "chromedriver could not start ({e}): the browser tests need it; \
                     install it with `{INSTALL}`"
                )
            });
        let mut driver = ChromeDriver {
            child,
            port,
            url: format!("http://127.0.0.1:{port}"),
            sessions: Mutex::new(Vec::new()),
        };
        driver.wait_ready().await;
        driver
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        let status = format!("{}/status", self.url);
        let started = Instant::now();
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("chromedriver exited at start ({exit}); is `{INSTALL}` complete?");
            }
            if let Ok(response) = http.get(&status).send().await
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == Value::Bool(true)
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not answer at {status} within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new browser session with a fresh profile, on a phone or a desktop.
    pub async fn browser(&self, screen: Screen) -> Browser {
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=412,915",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        if screen == Screen::Phone {
            // A window is at least 500 px wide even headless: the phone's 412 CSS px (with the
            // page's viewport meta honoured, as on a phone) come from device emulation.
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": 412, "height": 915, "pixelRatio": 1.0, "mobile": true, "touch": true},
            });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_string(), options);
        // rustls is built with both `ring` (sqlx) and `aws-lc-rs` (hyper-rustls, for fantoccini)
        // here, so it cannot choose a provider by itself: choose ring (already installed: fine).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::rustls()
            .expect("a WebDriver HTTP client")
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("a Chromium session through chromedriver: {e}"));
        if let Ok(Some(id)) = client.session_id().await
            && let Ok(mut sessions) = self.sessions.lock()
        {
            sessions.push(id);
        }
        Browser {
            client,
            _profile: profile,
        }
    }
}

impl ChromeDriver {
    /// Ends a session with a plain blocking `DELETE /session/{id}` (drop may run while a failed
    /// test unwinds, outside any runtime). An already-closed session answers 404: fine.
    fn end_session(&self, id: &str) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            let _ = stream.read_to_end(&mut Vec::new());
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let sessions = self
            .sessions
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default();
        for id in sessions {
            self.end_session(&id);
        }
        // `Child::kill` signals this process by its own pid, nothing else.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The screen a [`Browser`] shows pages on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// 412×915 CSS px, a mobile viewport (a common Android phone).
    Phone,
    /// A window, 412×915 at first: [`Browser::resize`] it (e.g. to 1280×1600).
    Desktop,
}

/// One browser session. End it with [`Browser::close`] (Chromium quits with the session).
pub struct Browser {
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Opens `path` of the app.
    pub async fn open(&self, app: &TestApp, path: &str) {
        self.client
            .goto(&app.url(path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path of the current page (without query or fragment).
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .path()
            .to_string()
    }

    /// Waits until the current page's path is `path` (after a form's redirect).
    pub async fn wait_for_path(&self, path: &str) {
        let started = Instant::now();
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "expected to arrive at {path}, still at {now}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the element at `css` to be in the page.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no {css} on {}: {e}", self.path().await),
        }
    }

    /// Whether the element at `css` is in the page now (no waiting).
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find elements")
            .is_empty()
    }

    /// The visible text of the element at `css`. An element found while the page was still being
    /// replaced (after a form post or a redirect) can go stale before its text is read: it is then
    /// found again, a few times.
    pub async fn text(&self, css: &str) -> String {
        let mut attempts = 0;
        loop {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e) if attempts < 5 => {
                    attempts += 1;
                    eprintln!("the text of {css} (attempt {attempts}): {e}; finding it again");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => panic!("the text of {css}: {e}"),
            }
        }
    }

    /// Waits until the text of the element at `css` contains `needle`: after a form that posts and
    /// comes back to the same page, the old page can still be the one shown when reading starts.
    /// Returns whether it did within the patience.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> bool {
        let started = Instant::now();
        loop {
            if self.text(css).await.contains(needle) {
                return true;
            }
            if started.elapsed() >= PATIENCE {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `value` into the (emptied) field at `css`.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear a field");
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Chooses the option of value `value` in the select at `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
    }

    /// Clicks the element at `css`.
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Signs in through the form at /login and waits to land on `lands_on`.
    pub async fn sign_in(&self, app: &TestApp, name: &str, password: &str, lands_on: &str) {
        self.open(app, "/login").await;
        self.fill("#name", name).await;
        self.fill("#password", password).await;
        self.click("#sign-in").await;
        self.wait_for_path(lands_on).await;
    }

    /// Resizes the window (e.g. to a desktop's for the dashboard).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
    }

    /// A PNG of the viewport, saved as `docs/screenshots/<name>.png` when `XUNREN_SCREENSHOTS=1`
    /// (so that test runs do not change the tree otherwise). Returns the PNG.
    pub async fn screenshot(&self, name: &str) -> Vec<u8> {
        let png = self.client.screenshot().await.expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot of {name}");
        if std::env::var("XUNREN_SCREENSHOTS").as_deref() == Ok("1") {
            let dir = screenshot_dir();
            std::fs::create_dir_all(&dir).expect("docs/screenshots");
            // Written whole, then renamed: never half a file.
            let part = dir.join(format!(".{name}.png.part"));
            std::fs::write(&part, &png).expect("write a screenshot");
            std::fs::rename(&part, dir.join(format!("{name}.png"))).expect("save a screenshot");
        }
        png
    }

    /// Ends the session; Chromium quits.
    pub async fn close(self) {
        self.client.close().await.expect("end the browser session");
    }
}

/// `docs/screenshots` of the repository.
pub fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("docs")
        .join("screenshots")
}
