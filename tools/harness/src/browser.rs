//! A real browser, for what a person does in one (a consent page, the redirects after it):
//! headless Chromium driven over WebDriver by chromedriver, both Debian packages that
//! `scripts/lib.sh` installs (`use_browser`). Loopback only: chromedriver listens on 127.0.0.1.

use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "chromedriver could not be started ({0}): run scripts/lib.sh's use_browser, or install chromium and chromium-driver"
    )]
    Driver(std::io::Error),
    #[error("chromedriver did not answer within {0:?}")]
    DriverSilent(Duration),
    #[error("no browser session: {0}")]
    Session(#[from] fantoccini::error::NewSessionError),
    #[error("the browser: {0}")]
    Command(#[from] fantoccini::error::CmdError),
    #[error("the browser stayed at {at} instead of reaching {wanted} within {within:?}")]
    NotReached {
        at: String,
        wanted: String,
        within: Duration,
    },
}

/// One headless Chromium with its chromedriver, stopped by [`Browser::close`] (or on drop: the
/// driver is killed with its process, and the browser with the driver).
#[derive(Debug)]
pub struct Browser {
    client: Client,
    _driver: Driver,
    _profile: TempProfile,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless session in a profile of
    /// its own (nothing shared with another test's browser).
    pub async fn start() -> Result<Browser, BrowserError> {
        let port = free_port().map_err(BrowserError::Driver)?;
        let driver = Command::new(driver_binary())
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(BrowserError::Driver)?;
        // Killed on every way out from here (Drop), a failed start included.
        let driver = Driver(driver);
        let url = format!("http://127.0.0.1:{port}");
        wait_until_listening(port, Duration::from_secs(10)).await?;
        let profile = TempProfile::new().map_err(BrowserError::Driver)?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": browser_binary(),
                // Root in a container has no user namespace for Chromium's sandbox.
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", format!("--user-data-dir={}", profile.path())],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await?;
        Ok(Browser {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Opens `url` as a person typing it would.
    pub async fn open(&self, url: &str) -> Result<(), BrowserError> {
        Ok(self.client.goto(url).await?)
    }

    /// Clicks the element `css` selects, as a person would (a form's button submits the form).
    pub async fn click(&self, css: &str) -> Result<(), BrowserError> {
        self.client.find(Locator::Css(css)).await?.click().await?;
        Ok(())
    }

    /// The text of the element `css` selects.
    pub async fn text(&self, css: &str) -> Result<String, BrowserError> {
        Ok(self.client.find(Locator::Css(css)).await?.text().await?)
    }

    /// The URL the browser is at.
    pub async fn url(&self) -> Result<url::Url, BrowserError> {
        Ok(self.client.current_url().await?)
    }

    /// Waits until the browser is at a URL starting with `prefix` (after redirects), and
    /// returns it.
    pub async fn wait_for_url(
        &self,
        prefix: &str,
        within: Duration,
    ) -> Result<url::Url, BrowserError> {
        let started = Instant::now();
        loop {
            let at = self.url().await?;
            if at.as_str().starts_with(prefix) {
                return Ok(at);
            }
            if started.elapsed() > within {
                return Err(BrowserError::NotReached {
                    at: at.to_string(),
                    wanted: prefix.to_owned(),
                    within,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Ends the session and stops the driver.
    pub async fn close(self) {
        if let Err(error) = self.client.clone().close().await {
            tracing::warn!(%error, "the browser session did not close");
        }
    }
}

/// Debian's names; `CHROMEDRIVER` and `CHROMIUM` name others.
fn driver_binary() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned())
}

fn browser_binary() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_until_listening(port: u16, within: Duration) -> Result<(), BrowserError> {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if started.elapsed() > within {
            return Err(BrowserError::DriverSilent(within));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// chromedriver, killed when dropped (the browser ends with its driver's session or process).
#[derive(Debug)]
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A browser profile directory, removed when dropped.
#[derive(Debug)]
struct TempProfile(std::path::PathBuf);

impl TempProfile {
    fn new() -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "browser-profile-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&path)?;
        Ok(TempProfile(path))
    }

    fn path(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempProfile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
