//! Where the binaries' AWS calls go: one plain HTTP endpoint for every service (the emulator or
//! a proxy in front of it), or with `COLDSTART_TLS=1` an HTTPS endpoint per service, as in AWS:
//! a connection of its own to each service, each opened with a TLS handshake.

use bench::tls::{self, BenchCa, TlsFront, TrustFiles};
use cli::Error;

/// The service endpoints the SDK reads (`AWS_ENDPOINT_URL_<service id>`), for every service a
/// function calls.
const PER_SERVICE: [&str; 5] = [
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_SCHEDULER",
    "AWS_ENDPOINT_URL_SQS",
];

#[derive(Debug)]
pub(super) struct Endpoints {
    tls: Option<(BenchCa, TrustFiles, std::path::PathBuf)>,
    vars: Vec<(&'static str, String)>,
    fronts: Vec<TlsFront>,
}

impl Endpoints {
    /// Plain HTTP, or with `tls` HTTPS signed by a root of the bench's own, written to `dir`.
    pub(super) fn new(tls: bool, dir: &std::path::Path) -> Result<Endpoints, Error> {
        let tls = if tls {
            let ca = BenchCa::generate()?;
            let files = ca.write(dir)?;
            Some((ca, files, dir.to_owned()))
        } else {
            None
        };
        Ok(Endpoints {
            tls,
            vars: Vec::new(),
            fronts: Vec::new(),
        })
    }

    pub(super) fn tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Sends every call to `upstream` (`http://127.0.0.1:port`): directly, or through an HTTPS
    /// front per service.
    pub(super) async fn route_to(&mut self, upstream: &str) -> Result<(), Error> {
        self.fronts.clear();
        self.vars.clear();
        let Some((ca, ..)) = &self.tls else {
            self.vars.push(("AWS_ENDPOINT_URL", upstream.to_owned()));
            return Ok(());
        };
        let address = tls::address_of(upstream)?;
        for var in PER_SERVICE {
            let front = TlsFront::start(ca, address).await?;
            self.vars.push((var, front.url.clone()));
            self.fronts.push(front);
        }
        Ok(())
    }

    /// The environment a binary needs to reach them: the endpoints, and with TLS the bench's
    /// root, for our functions beside Amazon's roots (`AWS_CA_BUNDLE`) and for the SDK's default
    /// client with the system's store (`SSL_CERT_FILE`, `SSL_CERT_DIR`: see `TrustFiles`).
    pub(super) fn environment(&self) -> Vec<(&'static str, String)> {
        let mut env = self.vars.clone();
        if let Some((_, files, _)) = &self.tls {
            env.push(("AWS_CA_BUNDLE", files.ca.display().to_string()));
            env.push(("SSL_CERT_FILE", files.bundle.display().to_string()));
            if !files.system_dirs.is_empty() {
                env.push(("SSL_CERT_DIR", files.system_dirs.clone()));
            }
        }
        env
    }

    /// SQS's endpoint, for a queue's URL.
    pub(super) fn sqs(&self) -> &str {
        self.vars
            .iter()
            .find(|(var, _)| matches!(*var, "AWS_ENDPOINT_URL_SQS" | "AWS_ENDPOINT_URL"))
            .map(|(_, url)| url.as_str())
            .unwrap_or_default()
    }
}

impl Drop for Endpoints {
    fn drop(&mut self) {
        if let Some((.., dir)) = &self.tls {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
