//! The production [`Transport`]: HTTPS with mutual TLS between nodes.
//!
//! Each node holds a certificate signed by the cluster's CA and accepts only peers that present
//! one too, so a process that merely reaches the port cannot vote or append. Connections are
//! pooled and kept alive by reqwest; each call has the deadline openraft gave it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;

use crate::network::{Transport, TransportError};

pub use crate::TlsFiles;

/// TLS material could not be loaded; names the file.
#[derive(Debug, thiserror::Error)]
#[error("TLS {what} {path}: {message}")]
pub struct TlsError {
    pub what: &'static str,
    pub path: String,
    pub message: String,
}

fn tls_error(what: &'static str, path: &Path, message: impl ToString) -> TlsError {
    TlsError { what, path: path.display().to_string(), message: message.to_string() }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Result<Vec<_>, _> =
        CertificateDer::pem_file_iter(path).map_err(|e| tls_error("certificate", path, e))?.collect();
    let certs = certs.map_err(|e| tls_error("certificate", path, e))?;
    if certs.is_empty() {
        return Err(tls_error("certificate", path, "no certificate in file"));
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| tls_error("private key", path, e))
}

fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots.add(cert).map_err(|e| tls_error("CA certificate", path, e))?;
    }
    Ok(roots)
}

/// Client side: trust only the cluster CA, present our own certificate.
pub fn client_config(files: &TlsFiles) -> Result<rustls::ClientConfig, TlsError> {
    let roots = load_roots(&files.ca)?;
    rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("protocol versions", &files.ca, e))?
        .with_root_certificates(roots)
        .with_client_auth_cert(load_certs(&files.cert)?, load_key(&files.key)?)
        .map_err(|e| tls_error("client certificate", &files.cert, e))
}

/// Server side for the node-to-node listener: require a client certificate from the cluster CA.
pub fn mutual_server_config(files: &TlsFiles) -> Result<rustls::ServerConfig, TlsError> {
    let roots = Arc::new(load_roots(&files.ca)?);
    let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider())
        .build()
        .map_err(|e| tls_error("client verifier", &files.ca, e))?;
    rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("protocol versions", &files.ca, e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(load_certs(&files.cert)?, load_key(&files.key)?)
        .map_err(|e| tls_error("server certificate", &files.cert, e))
}

/// Server side for the public API listener: server certificate only.
pub fn server_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, TlsError> {
    rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("protocol versions", cert, e))?
        .with_no_client_auth()
        .with_single_cert(load_certs(cert)?, load_key(key)?)
        .map_err(|e| tls_error("server certificate", cert, e))
}

/// Idle pooled connections are closed after this long.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// A TCP connect that takes longer than this counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct HttpsTransport {
    client: reqwest::Client,
}

impl HttpsTransport {
    pub fn new(files: &TlsFiles) -> Result<HttpsTransport, TlsError> {
        let config = client_config(files)?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| tls_error("client", &files.cert, e))?;
        Ok(HttpsTransport { client })
    }
}

impl Transport for HttpsTransport {
    async fn call(
        &self,
        raft_addr: &str,
        path: &'static str,
        body: Vec<u8>,
        deadline: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let url = format!("https://{raft_addr}{path}");
        let response = self
            .client
            .post(&url)
            .timeout(deadline)
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    TransportError::Unreachable(format!("{url}: {e}"))
                } else {
                    TransportError::Network(format!("{url}: {e}"))
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(TransportError::Network(format!("{url}: HTTP {status}")));
        }
        let bytes = response.bytes().await.map_err(|e| TransportError::Network(format!("{url}: {e}")))?;
        Ok(bytes.to_vec())
    }
}
