//! The email channel's I/O: the mailboxes' IMAP connections and the credentials they log in
//! with.
//!
//! Credentials are sealed bound to where they may be sent (the mailbox address, both servers'
//! host and port, and an OAuth token endpoint): an administrator who can change the mail server
//! but cannot read a password must not be able to point the server at a host of theirs and
//! have a node send the password there. After such a change the credentials no longer open and
//! the mailbox says so until they are given again.

pub mod check;
pub mod imap;
pub mod mailboxes;
pub mod outbox;
pub mod parse;
pub mod read;

use tandem_domain::{MailCredentials, MailServer};

use crate::secrets::{ClusterKey, OpenError, Purpose};

/// The TLS trust for mail servers from the node's config, made once per process (the public
/// roots plus `mail_ca_file`).
pub fn trust(config: &crate::config::NodeConfig) -> Result<outbox::Trust, String> {
    static TRUST: std::sync::OnceLock<Result<outbox::Trust, String>> = std::sync::OnceLock::new();
    TRUST
        .get_or_init(|| {
            let path = config.mail_ca_file.as_deref();
            let imap = imap::tls_config(path).map_err(|error| error.to_string())?;
            let extra_roots = match path {
                Some(path) => Some(
                    std::fs::read(path).map_err(|error| format!("reading mail_ca_file {}: {error}", path.display()))?,
                ),
                None => None,
            };
            Ok(outbox::Trust { imap, extra_roots })
        })
        .clone()
}

/// What a mailbox's credentials are bound to.
pub fn credential_binding(server: &MailServer, address: &str, token_endpoint: Option<&str>) -> String {
    format!(
        "address={}\nimap={}:{}\nsmtp={}:{}\ntoken_endpoint={}",
        address.to_ascii_lowercase(),
        server.imap.host.to_ascii_lowercase(),
        server.imap.port,
        server.smtp.host.to_ascii_lowercase(),
        server.smtp.port,
        token_endpoint.unwrap_or("")
    )
}

/// The token endpoint of `credentials`, if it has one.
pub fn token_endpoint(credentials: &MailCredentials) -> Option<&str> {
    match credentials {
        MailCredentials::Password { .. } => None,
        MailCredentials::Oauth2 { token_endpoint, .. } => Some(token_endpoint),
    }
}

/// A credential opened for use against `server` as `address`.
pub fn open_credential(
    key: &ClusterKey,
    server: &MailServer,
    address: &str,
    credentials: &MailCredentials,
    sealed: &str,
) -> Result<String, CredentialError> {
    let binding = credential_binding(server, address, token_endpoint(credentials));
    match key.open(Purpose::MailCredential { binding: &binding }, sealed) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| CredentialError::Malformed),
        Err(OpenError::Malformed) => Err(CredentialError::Malformed),
        Err(OpenError::WrongKey) => Err(CredentialError::Stale),
    }
}

/// Why a mailbox's credentials cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("the mailbox's credentials are malformed; set them again")]
    Malformed,
    #[error(
        "the mailbox's credentials were given for another mail server, address or token endpoint (or under another \
         cluster key); set them again"
    )]
    Stale,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_domain::{MailEndpoint, MailSecurity, MailServerKind};

    fn server(imap_host: &str) -> MailServer {
        MailServer {
            kind: MailServerKind::Generic,
            imap: MailEndpoint { host: imap_host.into(), port: 993, security: MailSecurity::Tls },
            smtp: MailEndpoint { host: "smtp.example.com".into(), port: 587, security: MailSecurity::Starttls },
            folders: None,
            description: None,
        }
    }

    /// Security review: an administrator who could change the mail server's host (but not read
    /// a password) could have a node send the mailbox's password to a host of theirs. Sealed
    /// credentials are bound to the servers and the address: they open only for those.
    #[test]
    fn credentials_open_only_for_the_server_and_address_they_were_given_for() {
        let key = ClusterKey::from_hex(&"ab".repeat(32)).expect("a key");
        let ours = server("imap.example.com");
        let binding = credential_binding(&ours, "support@example.com", None);
        let sealed = key.seal(Purpose::MailCredential { binding: &binding }, b"hunter2").expect("sealed");
        let credentials = MailCredentials::Password { sealed_password: sealed.clone() };
        let open = |server: &MailServer, address: &str| open_credential(&key, server, address, &credentials, &sealed);
        assert_eq!(open(&ours, "support@example.com").as_deref(), Ok("hunter2"));
        assert_eq!(open(&ours, "SUPPORT@example.com").as_deref(), Ok("hunter2"), "addresses compare without case");
        assert_eq!(open(&server("imap.attacker.example"), "support@example.com"), Err(CredentialError::Stale));
        let mut other_port = ours.clone();
        other_port.smtp.port = 2525;
        assert_eq!(open(&other_port, "support@example.com"), Err(CredentialError::Stale));
        assert_eq!(open(&ours, "sales@example.com"), Err(CredentialError::Stale));
        assert_eq!(key.open(Purpose::SessionKey, &sealed), Err(OpenError::WrongKey), "nor for another purpose");
    }
}
