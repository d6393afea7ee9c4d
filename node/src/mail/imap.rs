//! One IMAP connection to a mailbox: TLS from the first byte (993) or STARTTLS (143), then
//! LOGIN. rustls checks the server against the public roots plus `mail_ca_file` (a private CA;
//! pinning a self-signed server certificate is not built yet); plain text is never spoken past
//! the STARTTLS exchange.

use std::sync::Arc;
use std::time::Duration;

use tandem_domain::{MailEndpoint, MailSecurity};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub type TlsStream = tokio_rustls::client::TlsStream<TcpStream>;
pub type Session = async_imap::Session<TlsStream>;

/// Every network step of a connection gets this long.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// The TLS trust for mail servers.
pub fn tls_config(extra_roots: Option<&std::path::Path>) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_roots {
        for certificate in rustls::pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|error| anyhow::anyhow!("reading mail_ca_file {}: {error}", path.display()))?
        {
            let certificate =
                certificate.map_err(|error| anyhow::anyhow!("reading mail_ca_file {}: {error}", path.display()))?;
            roots.add(certificate).map_err(|error| anyhow::anyhow!("mail_ca_file {}: {error}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Why a connection failed, in words for administrators.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot reach {0}: {1}")]
    Connect(String, String),
    #[error("TLS with {0} failed: {1}")]
    Tls(String, String),
    #[error("{0} refused the login: {1}")]
    Login(String, String),
    #[error("IMAP: {0}")]
    Protocol(String),
    #[error("{0} did not answer within {1:?}")]
    Timeout(&'static str, Duration),
}

async fn step<T>(what: &'static str, future: impl std::future::Future<Output = T>) -> Result<T, ImapError> {
    tokio::time::timeout(STEP_TIMEOUT, future).await.map_err(|_| ImapError::Timeout(what, STEP_TIMEOUT))
}

/// Connects and logs in as `user`.
pub async fn login(
    endpoint: &MailEndpoint,
    tls: Arc<rustls::ClientConfig>,
    user: &str,
    password: &str,
) -> Result<Session, ImapError> {
    let host = format!("{}:{}", endpoint.host, endpoint.port);
    let tcp = step("connect", TcpStream::connect((endpoint.host.as_str(), endpoint.port)))
        .await?
        .map_err(|error| ImapError::Connect(host.clone(), error.to_string()))?;
    let tcp = match endpoint.security {
        MailSecurity::Tls => tcp,
        MailSecurity::Starttls => step("STARTTLS", starttls(tcp)).await?.map_err(ImapError::Protocol)?,
    };
    let name = rustls::pki_types::ServerName::try_from(endpoint.host.clone())
        .map_err(|error| ImapError::Tls(host.clone(), error.to_string()))?;
    let stream = step("TLS", tokio_rustls::TlsConnector::from(tls).connect(name, tcp))
        .await?
        .map_err(|error| ImapError::Tls(host.clone(), error.to_string()))?;
    let mut client = async_imap::Client::new(stream);
    if endpoint.security == MailSecurity::Tls {
        let greeting = step("greeting", client.read_response()).await?;
        match greeting {
            Ok(Some(_)) => {}
            Ok(None) => return Err(ImapError::Protocol(format!("{host} closed the connection before greeting"))),
            Err(error) => return Err(ImapError::Protocol(error.to_string())),
        }
    }
    step("LOGIN", client.login(user, password)).await?.map_err(|(error, _)| ImapError::Login(host, error.to_string()))
}

/// The plain-text prelude of STARTTLS: the greeting, then `STARTTLS` and its OK. Nothing else
/// is said before TLS.
async fn starttls(tcp: TcpStream) -> Result<TcpStream, String> {
    let mut reader = BufReader::new(tcp);
    let mut line = String::new();
    reader.read_line(&mut line).await.map_err(|error| error.to_string())?;
    if !line.starts_with("* OK") {
        return Err(format!("unexpected greeting {:?}", line.trim_end()));
    }
    reader.get_mut().write_all(b"t0 STARTTLS\r\n").await.map_err(|error| error.to_string())?;
    loop {
        line.clear();
        if reader.read_line(&mut line).await.map_err(|error| error.to_string())? == 0 {
            return Err("the server closed the connection during STARTTLS".into());
        }
        if line.starts_with("t0 OK") {
            break;
        }
        if line.starts_with("t0 ") {
            return Err(format!("the server refused STARTTLS: {}", line.trim_end()));
        }
    }
    if !reader.buffer().is_empty() {
        return Err("the server sent data before TLS started (a STARTTLS injection?)".into());
    }
    Ok(reader.into_inner())
}
