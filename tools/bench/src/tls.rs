//! HTTPS in front of the emulator, as AWS serves every call. On plain HTTP a new connection is a
//! loopback `connect`; in AWS it is a TLS handshake (key exchange, a certificate chain checked),
//! which a function that opens its connections while init waits for its secret takes off its
//! first request, and a function with a seventh of a core pays for in CPU. The cold-start bench
//! (`COLDSTART_TLS=1`) puts a [`TlsFront`] per service in front of its proxy, with a chain shaped
//! like AWS's (an RSA 2048 root, intermediate and leaf; the leaf and the intermediate sent).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

use cli::Error;

/// A certificate authority of the bench's own, and the server side of TLS its leaf signs
/// (`127.0.0.1` and `localhost`).
#[derive(Clone)]
pub struct BenchCa {
    /// The root, PEM: what a client must trust.
    pub root_pem: String,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for BenchCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BenchCa").finish_non_exhaustive()
    }
}

/// Where a client finds the bench's root: `ca` holds it alone (`AWS_CA_BUNDLE`, read by our
/// functions beside Amazon's roots), `bundle` the system's roots and it (`SSL_CERT_FILE`), and
/// `system_dirs` the system's certificate directories (`SSL_CERT_DIR`). The AWS SDK's default
/// client reads those two variables in place of what it finds itself (the same file and
/// directories), so a baseline still reads and parses the whole store at start, as in Lambda.
#[derive(Debug, Clone)]
pub struct TrustFiles {
    pub ca: PathBuf,
    pub bundle: PathBuf,
    pub system_dirs: String,
}

/// The system's roots, as Debian and Amazon Linux keep them in one file.
const SYSTEM_BUNDLES: [&str; 2] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// The directories of certificate files the default client looks in on Linux (`openssl-probe`).
const SYSTEM_DIRS: [&str; 3] = [
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/etc/security/certificates",
];

impl BenchCa {
    pub fn generate() -> Result<BenchCa, Error> {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
            KeyUsagePurpose, PKCS_RSA_SHA256, RsaKeySize,
        };
        let key = || KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048);
        let authority = |name: &str| -> Result<CertificateParams, rcgen::Error> {
            let mut params = CertificateParams::new(Vec::<String>::new())?;
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, name);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            Ok(params)
        };
        let root = CertifiedIssuer::self_signed(authority("coldstart bench root")?, key()?)?;
        let intermediate =
            CertifiedIssuer::signed_by(authority("coldstart bench CA")?, key()?, &root)?;
        let leaf_key = key()?;
        let mut leaf = CertificateParams::new(["127.0.0.1".to_owned(), "localhost".to_owned()])?;
        leaf.distinguished_name
            .push(DnType::CommonName, "coldstart bench");
        let leaf = leaf.signed_by(&leaf_key, &intermediate)?;
        let chain = vec![leaf.der().clone(), intermediate.der().clone()];
        let private = pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der());
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, private.into())?;
        Ok(BenchCa {
            root_pem: root.pem(),
            acceptor: TlsAcceptor::from(Arc::new(server)),
        })
    }

    /// Writes the root to `dir` (see [`TrustFiles`]).
    pub fn write(&self, dir: &Path) -> std::io::Result<TrustFiles> {
        std::fs::create_dir_all(dir)?;
        let existing: Vec<&str> = SYSTEM_DIRS
            .into_iter()
            .filter(|d| Path::new(d).is_dir())
            .collect();
        let files = TrustFiles {
            ca: dir.join("coldstart-ca.pem"),
            bundle: dir.join("coldstart-bundle.pem"),
            system_dirs: existing.join(":"),
        };
        std::fs::write(&files.ca, &self.root_pem)?;
        let mut bundle = SYSTEM_BUNDLES
            .iter()
            .find_map(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        if !bundle.is_empty() && !bundle.ends_with('\n') {
            bundle.push('\n');
        }
        bundle.push_str(&self.root_pem);
        std::fs::write(&files.bundle, bundle)?;
        Ok(files)
    }
}

/// A loopback HTTPS endpoint that hands each connection, once its handshake is done, to
/// `upstream` (a plain HTTP server: the bench's proxy) on a connection of its own, so the proxy
/// still tells a client's connections apart.
#[derive(Debug)]
pub struct TlsFront {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsFront {
    pub async fn start(ca: &BenchCa, upstream: SocketAddr) -> std::io::Result<TlsFront> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("https://{}", listener.local_addr()?);
        let acceptor = ca.acceptor.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                // As AWS's endpoints and the SDK's client: no Nagle wait on small writes.
                let _ = client.set_nodelay(true);
                tokio::spawn(async move {
                    let Ok(mut client) = acceptor.accept(client).await else {
                        return;
                    };
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = server.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Ok(TlsFront { url, task })
    }
}

/// The address of a loopback `http://host:port` URL.
pub fn address_of(url: &str) -> Result<SocketAddr, Error> {
    let authority = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not a plain HTTP URL: {url}"))?;
    Ok(authority.trim_end_matches('/').parse()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::{CallLog, Recorder};
    use axum::Router;

    /// A stand-in for DynamoDB that answers every call with an empty table list.
    async fn dynamodb() -> (String, tokio::task::JoinHandle<()>) {
        let app = Router::new().fallback(|| async {
            (
                [("content-type", "application/x-amz-json-1.0")],
                r#"{"TableNames":[]}"#,
            )
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (url, task)
    }

    async fn list_tables(sdk: &adapters::aws::SdkConfig, endpoint: &str) -> Result<(), String> {
        let config = aws_sdk_dynamodb::config::Builder::from(sdk)
            .endpoint_url(endpoint)
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "bench",
            ))
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
            .list_tables()
            .send()
            .await
            .map(drop)
            .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
    }

    #[tokio::test]
    async fn a_client_trusting_the_bench_root_calls_through_the_https_front_and_one_trusting_amazon_alone_is_refused()
     {
        let (upstream, _upstream) = dynamodb().await;
        let log = CallLog::default();
        let proxy = Recorder::start(&upstream, log.clone()).await.unwrap();
        let ca = BenchCa::generate().unwrap();
        let front = TlsFront::start(&ca, address_of(&proxy.url).unwrap())
            .await
            .unwrap();
        assert!(front.url.starts_with("https://127.0.0.1:"));

        let trusting = adapters::aws::sdk_config_trusting(ca.root_pem.as_bytes()).await;
        list_tables(&trusting, &front.url).await.unwrap();
        let calls = log.take();
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(calls[0].label, "DynamoDB ListTables");

        let amazon_only = adapters::aws::sdk_config_trusting(b"").await;
        let refused = list_tables(&amazon_only, &front.url).await.unwrap_err();
        assert!(refused.to_lowercase().contains("certificate"), "{refused}");
        assert!(log.take().is_empty());
    }

    #[test]
    fn the_bundle_holds_the_system_roots_and_the_bench_root_after_them() {
        let ca = BenchCa::generate().unwrap();
        let dir = std::env::temp_dir().join(format!("bench-tls-{}", std::process::id()));
        let files = ca.write(&dir).unwrap();
        let alone = std::fs::read_to_string(&files.ca).unwrap();
        let bundle = std::fs::read_to_string(&files.bundle).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(alone, ca.root_pem);
        assert!(bundle.ends_with(&ca.root_pem));
        let system = SYSTEM_BUNDLES
            .iter()
            .find_map(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        let count = |pem: &str| pem.matches("-----BEGIN CERTIFICATE-----").count();
        assert_eq!(count(&bundle), count(&system) + 1);
    }
}
