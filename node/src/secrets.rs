//! Secrets the replicated state must carry but never in clear: the keys tokens are signed with
//! and the mailboxes' credentials.
//!
//! Every node of a cluster holds the same cluster key in a file (`cluster.key`, written by
//! `tandem certs` beside the CA, or created in the data directory of a single node). It never
//! enters the Raft log, a snapshot or an API answer. A node seals a secret with it before
//! proposing it, and opens it when it needs it; the domain only stores the sealed text. Anyone
//! who copies a data directory or a backup gets ciphertext (decision 0027).
//!
//! ChaCha20-Poly1305 from `ring` (already in the tree for TLS), a random 96-bit nonce per seal,
//! and the secret's purpose as associated data, so a sealed session key cannot be replayed as
//! another kind of secret.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

/// The cluster key's file name, beside the CA (clustered) or in the data directory (single).
pub const CLUSTER_KEY_FILE: &str = "cluster.key";

/// Bytes of a cluster key (256 bits).
const CLUSTER_KEY_LENGTH: usize = 32;

/// The version prefix of sealed text: `s1.` then hex of nonce, ciphertext and tag.
const SEALED_PREFIX: &str = "s1.";

/// What a sealed secret is for; part of what the seal authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose<'a> {
    /// A key tokens are signed with.
    SessionKey,
    /// A mailbox's password, OAuth client secret or refresh token, bound to where it may be
    /// sent ([`crate::mail::credential_binding`]): sealed for one server and address, it does
    /// not open for another, so changing the mail server's host cannot make a node send it
    /// there.
    MailCredential { binding: &'a str },
}

impl Purpose<'_> {
    fn associated_data(self) -> Vec<u8> {
        match self {
            Purpose::SessionKey => b"tandem session key".to_vec(),
            Purpose::MailCredential { binding } => [&b"tandem mail credential\0"[..], binding.as_bytes()].concat(),
        }
    }
}

/// Sealed text that does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the sealed text is malformed")]
    Malformed,
    #[error(
        "the sealed text does not open with this node's cluster key: every node of a cluster needs the same \
         cluster.key (compare the fingerprints each node logs at start)"
    )]
    WrongKey,
}

/// This cluster's key.
pub struct ClusterKey {
    key: LessSafeKey,
    fingerprint: String,
    random: SystemRandom,
}

impl std::fmt::Debug for ClusterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClusterKey({})", self.fingerprint)
    }
}

impl ClusterKey {
    /// A key from its 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<ClusterKey, String> {
        let bytes = unhex(text.trim())
            .filter(|bytes| bytes.len() == CLUSTER_KEY_LENGTH)
            .ok_or_else(|| format!("a cluster key is {} hexadecimal digits", CLUSTER_KEY_LENGTH * 2))?;
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, &bytes).map_err(|_| "the key is not usable".to_owned())?;
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        Ok(ClusterKey {
            key: LessSafeKey::new(unbound),
            fingerprint: hex(&digest.as_ref()[..4]),
            random: SystemRandom::new(),
        })
    }

    /// 64 hexadecimal digits of a new key from the system's random source.
    pub fn generate_hex() -> anyhow::Result<String> {
        let mut bytes = [0u8; CLUSTER_KEY_LENGTH];
        SystemRandom::new().fill(&mut bytes).map_err(|_| anyhow::anyhow!("the system random source failed"))?;
        Ok(hex(&bytes))
    }

    /// The key in `path`, which must exist.
    pub fn load(path: &Path) -> anyhow::Result<ClusterKey> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading the cluster key {}", path.display()))?;
        ClusterKey::from_hex(&text).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
    }

    /// The key in `path`, created there first if the file does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<ClusterKey> {
        if !path.exists() {
            write_new_key(path)?;
        }
        ClusterKey::load(path)
    }

    /// The first 8 hex digits of the key's SHA-256: nodes log it at start, so an operator can
    /// see that they hold the same key without showing it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// `secret` sealed for `purpose`.
    pub fn seal(&self, purpose: Purpose, secret: &[u8]) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| anyhow::anyhow!("the system random source failed"))?;
        let mut sealed = secret.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.associated_data().as_slice()),
                &mut sealed,
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        Ok(format!("{SEALED_PREFIX}{}{}", hex(&nonce), hex(&sealed)))
    }

    /// The secret `sealed` holds, if it was sealed for `purpose` with this key.
    pub fn open(&self, purpose: Purpose, sealed: &str) -> Result<Vec<u8>, OpenError> {
        let bytes = sealed.strip_prefix(SEALED_PREFIX).and_then(unhex).ok_or(OpenError::Malformed)?;
        if bytes.len() < NONCE_LEN + CHACHA20_POLY1305.tag_len() {
            return Err(OpenError::Malformed);
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenError::Malformed)?;
        let mut rest = rest.to_vec();
        let opened = self
            .key
            .open_in_place(nonce, Aad::from(purpose.associated_data().as_slice()), &mut rest)
            .map_err(|_| OpenError::WrongKey)?;
        Ok(opened.to_vec())
    }
}

/// Where a node's cluster key is: configured, beside the CA of a clustered node, or in the data
/// directory of a single node (created there on first start).
pub fn cluster_key_path(config: &crate::config::NodeConfig) -> (PathBuf, bool) {
    if let Some(path) = &config.cluster_key_file {
        return (path.clone(), false);
    }
    match &config.tls {
        Some(files) => (files.ca.with_file_name(CLUSTER_KEY_FILE), false),
        None => (config.data_dir.join(CLUSTER_KEY_FILE), true),
    }
}

/// The node's cluster key; a clustered node's must exist (every node needs the same one).
pub fn load_cluster_key(config: &crate::config::NodeConfig) -> anyhow::Result<ClusterKey> {
    let (path, create) = cluster_key_path(config);
    if create {
        return ClusterKey::load_or_create(&path);
    }
    if !path.exists() {
        anyhow::bail!(
            "no cluster key at {}: every node of a cluster needs the same cluster.key. `tandem certs --dir <dir> \
             --node <id>` writes one beside ca.crt if there is none (it keeps an existing CA and key); copy it to each \
             node, or set cluster_key_file",
            path.display()
        );
    }
    ClusterKey::load(&path)
}

/// Writes a new key to `path` (mode 0600), never over an existing file.
pub fn write_new_key(path: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("creating the cluster key {}", path.display()))?;
    writeln!(file, "{}", ClusterKey::generate_hex()?)?;
    file.sync_all()?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ClusterKey {
        ClusterKey::from_hex(&ClusterKey::generate_hex().expect("a key")).expect("a valid key")
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_purpose() {
        let (ours, theirs) = (key(), key());
        let secret = [7u8; 32];
        let sealed = ours.seal(Purpose::SessionKey, &secret).expect("sealed");
        assert!(sealed.starts_with("s1."));
        assert!(!sealed.contains(&hex(&secret)), "the secret shows in clear: {sealed}");
        assert_eq!(ours.open(Purpose::SessionKey, &sealed).as_deref(), Ok(&secret[..]));
        assert_eq!(theirs.open(Purpose::SessionKey, &sealed), Err(OpenError::WrongKey));
        // Two seals of one secret differ (a fresh nonce each), and both open.
        let again = ours.seal(Purpose::SessionKey, &secret).expect("sealed");
        assert_ne!(sealed, again);
        assert_eq!(ours.open(Purpose::SessionKey, &again).as_deref(), Ok(&secret[..]));
        // Any change is caught.
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        assert_eq!(ours.open(Purpose::SessionKey, &tampered), Err(OpenError::WrongKey));
        for malformed in ["", "s1.", "s1.zz", "s2.00", &sealed[..20]] {
            assert_eq!(ours.open(Purpose::SessionKey, malformed), Err(OpenError::Malformed), "{malformed:?}");
        }
    }

    #[test]
    fn a_cluster_key_file_is_created_once_private_and_never_overwritten() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join(CLUSTER_KEY_FILE);
        let first = ClusterKey::load_or_create(&path).expect("created");
        let again = ClusterKey::load_or_create(&path).expect("read");
        assert_eq!(first.fingerprint(), again.fingerprint());
        assert!(write_new_key(&path).is_err(), "an existing key was overwritten");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").expect("writing");
        let error = ClusterKey::load(&path).expect_err("refused").to_string();
        assert!(error.contains("64 hexadecimal digits") && error.contains("cluster.key"), "{error}");
    }
}
