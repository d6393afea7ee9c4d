//! The production [`Transport`]: HTTPS with mutual TLS between nodes.
//!
//! Each node holds a certificate signed by the cluster's CA and accepts only peers that present
//! one too, so a process that merely reaches the port cannot vote or append. A CA signature alone
//! would let any node speak as any other, so each certificate also names its node id (the DNS
//! name [`node_name`]), and both ends check it: a node calling node 2 refuses an answer from a
//! certificate that does not name node 2, and the service refuses a vote or an append whose
//! sender the caller's certificate does not name.
//!
//! Certificate and key files are read again when they change on disk, so `tandem certs rotate`
//! replaces them on a running cluster: new connections use the new pair, pooled ones end within
//! [`POOL_IDLE_TIMEOUT`] of going idle. Connections are pooled and kept alive by reqwest, one
//! client per peer (each checks its own node id); each call has the deadline openraft gave it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ParsedCertificate, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::network::{Transport, TransportError};
use crate::NodeId;

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

/// The DNS name a node's certificate carries to say which node it is. `.internal` is reserved
/// for private use, so no public CA will ever issue it.
pub fn node_name(node: NodeId) -> String {
    format!("node-{node}.cluster.tandem.internal")
}

/// Whether `certificate` names `node` (carries [`node_name`]). Only the name is checked here;
/// the chain to the cluster CA is checked by the TLS handshake that delivered it.
pub fn certificate_names_node(certificate: &CertificateDer<'_>, node: NodeId) -> bool {
    let Ok(parsed) = ParsedCertificate::try_from(certificate) else { return false };
    let Ok(name) = ServerName::try_from(node_name(node)) else { return false };
    rustls::client::verify_server_name(&parsed, &name).is_ok()
}

/// The certificate a peer presented on the node-to-node listener, after the handshake checked
/// its chain to the cluster CA.
#[derive(Debug, Clone)]
pub struct PeerCertificate(pub CertificateDer<'static>);

impl PeerCertificate {
    /// Whether the certificate names `node`.
    pub fn names(&self, node: NodeId) -> bool {
        certificate_names_node(&self.0, node)
    }
}

/// The names this node's own certificate must carry: its node id ([`node_name`]) and the host
/// of the address peers call it at (they check both). A pair is used only if it chains to the
/// cluster CA and carries them, so a reissued certificate that lost a name cannot cut a running
/// node off from its peers: it is ignored, with a warning, and the good one stays in use.
#[derive(Debug, Clone)]
pub struct OwnNames {
    names: Vec<ServerName<'static>>,
}

impl OwnNames {
    /// `advertised` is the node-to-node address peers call (`host:port`), if it has one.
    pub fn new(node: NodeId, advertised: Option<&str>) -> Result<OwnNames, TlsError> {
        let invalid = |name: &str| TlsError {
            what: "name",
            path: name.to_owned(),
            message: "is not a DNS name or an IP address".into(),
        };
        let id = node_name(node);
        let mut names = vec![ServerName::try_from(id.clone()).map_err(|_| invalid(&id))?];
        if let Some(advertised) = advertised {
            let host = match advertised.parse::<std::net::SocketAddr>() {
                Ok(address) => address.ip().to_string(),
                Err(_) => advertised.rsplit_once(':').map_or(advertised, |(host, _)| host).to_owned(),
            };
            let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
            names.push(ServerName::try_from(host.clone()).map_err(|_| invalid(&host))?);
        }
        Ok(OwnNames { names })
    }
}

/// This node's certificate and key, read again whenever either file changes on disk. A pair
/// that does not load (a half-written rotation, a key that does not match), does not chain to
/// the cluster CA or does not carry this node's names ([`OwnNames`]) is logged and the last
/// good pair stays in use until the files are right.
#[derive(Debug)]
pub struct CertificateFiles {
    cert: PathBuf,
    key: PathBuf,
    chain: Arc<WebPkiServerVerifier>,
    names: OwnNames,
    loaded: Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    stamp: (Option<SystemTime>, Option<SystemTime>),
    key: Arc<CertifiedKey>,
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|metadata| metadata.modified()).ok()
}

impl CertificateFiles {
    pub fn load(files: &TlsFiles, names: OwnNames) -> Result<CertificateFiles, TlsError> {
        let roots = Arc::new(load_roots(&files.ca)?);
        let chain = WebPkiServerVerifier::builder_with_provider(roots, provider())
            .build()
            .map_err(|e| tls_error("server verifier", &files.ca, e))?;
        let stamp = (modified(&files.cert), modified(&files.key));
        // At start a pair that peers will refuse is still used, loudly: the node's own log then
        // says why its peers refuse it. Replacing a good pair with one is never done (`current`).
        let key = read_pair(&files.cert, &files.key)?;
        if let Err(error) = check_names(&key, &files.cert, &chain, &names) {
            tracing::error!(%error, "this node's certificate will be refused by its peers");
        }
        Ok(CertificateFiles {
            cert: files.cert.clone(),
            key: files.key.clone(),
            chain,
            names,
            loaded: Mutex::new(Loaded { stamp, key }),
        })
    }

    /// The pair to present now: the files as they are, if they changed and load.
    pub fn current(&self) -> Arc<CertifiedKey> {
        let mut loaded = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let stamp = (modified(&self.cert), modified(&self.key));
        if stamp != loaded.stamp {
            match read_own(&self.cert, &self.key, &self.chain, &self.names) {
                Ok(key) => {
                    tracing::info!(cert = %self.cert.display(), "node certificate reloaded");
                    *loaded = Loaded { stamp, key };
                }
                Err(error) => {
                    tracing::warn!(%error, "node certificate changed but is not usable; keeping the last one")
                }
            }
        }
        loaded.key.clone()
    }
}

/// Reads this node's pair and checks it chains to the cluster CA and carries `names`.
fn read_own(
    cert: &Path,
    key: &Path,
    chain: &WebPkiServerVerifier,
    names: &OwnNames,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let certified = read_pair(cert, key)?;
    check_names(&certified, cert, chain, names)?;
    Ok(certified)
}

fn read_pair(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let certified = CertifiedKey::from_der(load_certs(cert)?, load_key(key)?, &provider())
        .map_err(|e| tls_error("certificate and key", cert, e))?;
    Ok(Arc::new(certified))
}

fn check_names(
    certified: &CertifiedKey,
    cert: &Path,
    chain: &WebPkiServerVerifier,
    names: &OwnNames,
) -> Result<(), TlsError> {
    let end_entity = certified.end_entity_cert().map_err(|e| tls_error("certificate", cert, e))?;
    let intermediates = certified.cert.get(1..).unwrap_or_default();
    for name in &names.names {
        chain.verify_server_cert(end_entity, intermediates, name, &[], UnixTime::now()).map_err(|e| {
            tls_error(
                "certificate",
                cert,
                format!(
                    "is not valid for this node as {}: {e} (reissue it with `tandem certs rotate`, naming this node's host)",
                    name.to_str()
                ),
            )
        })?;
    }
    Ok(())
}

impl rustls::server::ResolvesServerCert for CertificateFiles {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

impl rustls::client::ResolvesClientCert for CertificateFiles {
    fn resolve(&self, _root_hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The cluster CA's check, then: the certificate names the node this client was made for.
#[derive(Debug)]
struct NodeVerifier {
    chain: Arc<WebPkiServerVerifier>,
    node: NodeId,
}

impl ServerCertVerifier for NodeVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        if !certificate_names_node(end_entity, self.node) {
            return Err(rustls::Error::General(format!(
                "the certificate at this address does not name node {} ({}); the address belongs to another node, \
                 or the certificate predates node ids in certificates (reissue it with `tandem certs rotate`)",
                self.node,
                node_name(self.node)
            )));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chain.supported_verify_schemes()
    }
}

/// What every outbound connection shares: the cluster CA and this node's certificate.
#[derive(Debug, Clone)]
pub struct ClientIdentity {
    roots: Arc<RootCertStore>,
    own: Arc<CertificateFiles>,
    ca: PathBuf,
}

impl ClientIdentity {
    pub fn load(files: &TlsFiles, names: OwnNames) -> Result<ClientIdentity, TlsError> {
        Ok(ClientIdentity {
            roots: Arc::new(load_roots(&files.ca)?),
            own: Arc::new(CertificateFiles::load(files, names)?),
            ca: files.ca.clone(),
        })
    }

    /// Client side for calls to `node`: trust only the cluster CA, accept only a certificate
    /// that names `node`, present our own certificate.
    pub fn config_for(&self, node: NodeId) -> Result<rustls::ClientConfig, TlsError> {
        let chain = WebPkiServerVerifier::builder_with_provider(self.roots.clone(), provider())
            .build()
            .map_err(|e| tls_error("server verifier", &self.ca, e))?;
        Ok(rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("protocol versions", &self.ca, e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NodeVerifier { chain, node }))
            .with_client_cert_resolver(self.own.clone()))
    }
}

/// Server side for the node-to-node listener: require a client certificate from the cluster CA
/// (which node it names is checked per RPC, see [`PeerCertificate`]); present this node's
/// certificate as it is on disk.
pub fn mutual_server_config(files: &TlsFiles, names: OwnNames) -> Result<rustls::ServerConfig, TlsError> {
    let roots = Arc::new(load_roots(&files.ca)?);
    let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider())
        .build()
        .map_err(|e| tls_error("client verifier", &files.ca, e))?;
    Ok(rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("protocol versions", &files.ca, e))?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(CertificateFiles::load(files, names)?)))
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
    identity: ClientIdentity,
    /// One pooled client per peer, since each checks that peer's node id.
    clients: Arc<Mutex<BTreeMap<NodeId, reqwest::Client>>>,
}

impl HttpsTransport {
    pub fn new(files: &TlsFiles, names: OwnNames) -> Result<HttpsTransport, TlsError> {
        let identity = ClientIdentity::load(files, names)?;
        Ok(HttpsTransport { identity, clients: Arc::default() })
    }

    fn client(&self, node: NodeId) -> Result<reqwest::Client, TlsError> {
        let mut clients = self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = clients.get(&node) {
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(self.identity.config_for(node)?)
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| tls_error("client", &self.identity.ca, e))?;
        clients.insert(node, client.clone());
        Ok(client)
    }
}

impl Transport for HttpsTransport {
    async fn call(
        &self,
        target: NodeId,
        raft_addr: &str,
        path: &'static str,
        body: Vec<u8>,
        deadline: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let url = format!("https://{raft_addr}{path}");
        let client = self.client(target).map_err(|e| TransportError::Unreachable(format!("{url}: {e}")))?;
        let response = client
            .post(&url)
            .timeout(deadline)
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    TransportError::Unreachable(format!("{url}: {}", with_causes(&e)))
                } else {
                    TransportError::Network(format!("{url}: {}", with_causes(&e)))
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            let reason = response.text().await.unwrap_or_default();
            return Err(TransportError::Network(format!("{url}: HTTP {status}: {reason}")));
        }
        let bytes = response.bytes().await.map_err(|e| TransportError::Network(format!("{url}: {e}")))?;
        Ok(bytes.to_vec())
    }
}

/// An error and its causes on one line: reqwest's own message hides the TLS reason.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
