//! Passwords and session resume tokens: the node's half of logging in.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's defaults, OWASP's recommended
//! parameters) into PHC strings before they enter the log, so neither the log nor a snapshot
//! holds a password. Hashing needs a random salt, which is why it happens here and not in the
//! domain. A resume token lets a desktop log back in on the other side after a failover without
//! the password (AutoLogin): it is `v2.<key id>.<user>.<issued ms>.<HMAC-SHA256>` signed with
//! one of the cluster's session keys, which live sealed in the replicated center so every node
//! can check every token (`http::session_keys`, decision 0027), and it expires after
//! [`RESUME_TOKEN_LIFETIME_MS`].

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tandem_domain::UserId;

/// How long a resume token is good for: a working day and a half.
pub const RESUME_TOKEN_LIFETIME_MS: u64 = 12 * 60 * 60 * 1000;
/// Characters a password may have (Argon2 takes any length; this bounds the work per login).
pub const PASSWORD_LENGTH_MAX: usize = 1024;

/// Password jobs waiting for a worker at most; beyond that a login or user change is refused
/// as overloaded instead of piling up memory and latency.
pub const PASSWORD_QUEUE_MAX: usize = 4096;

/// The node's Argon2id workers: a few dedicated threads, one job at a time each.
///
/// An Argon2id hash with the default parameters works through 19 MiB of memory. On Tokio's
/// blocking pool every login storm would start up to hundreds of threads, each hashing at once
/// and each leaving its allocator arena grown: a thousand logins left a node at 3 GiB resident.
/// A fixed set of threads bounds both the work in parallel and the memory (the same arenas are
/// reused), and queued jobs wait their turn in order.
pub struct PasswordWorkers {
    jobs: std::sync::mpsc::SyncSender<PasswordJob>,
}

enum PasswordJob {
    Hash { password: String, reply: tokio::sync::oneshot::Sender<Result<String, String>> },
    Verify { hash: String, password: String, reply: tokio::sync::oneshot::Sender<bool> },
}

impl PasswordWorkers {
    /// Starts `threads` workers (at least one).
    pub fn start(threads: usize) -> std::io::Result<PasswordWorkers> {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<PasswordJob>(PASSWORD_QUEUE_MAX);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || {
                let mut hasher = Hasher::default();
                loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(PasswordJob::Hash { password, reply }) => {
                            let _ = reply.send(hasher.hash(&password));
                        }
                        Ok(PasswordJob::Verify { hash, password, reply }) => {
                            let _ = reply.send(hasher.verify(&hash, &password));
                        }
                        Err(_) => return,
                    }
                }
            })?;
        }
        Ok(PasswordWorkers { jobs })
    }

    /// Hashes a password on a worker.
    pub async fn hash(&self, password: String) -> Result<String, String> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(PasswordJob::Hash { password, reply })
            .map_err(|_| format!("more than {PASSWORD_QUEUE_MAX} passwords are waiting to be hashed; retry"))?;
        answer.await.map_err(|_| "the password worker stopped".to_string())?
    }

    /// Checks a password on a worker; `None` when the queue is full (the node is overloaded).
    pub async fn verify(&self, hash: String, password: String) -> Option<bool> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs.try_send(PasswordJob::Verify { hash, password, reply }).ok()?;
        Some(answer.await.unwrap_or(false))
    }
}

/// What an unknown login name's password is checked against, so that refusing it takes as
/// long as refusing a wrong password: a well-formed Argon2id hash (the default parameters) of
/// no password anyone knows.
pub const NOBODYS_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$bm9ib2R5cyBzYWx0IDE2Yg$22cBdpBRkRiZaMegvVyhzMuQ/vWrnMemdPqnTto0c44";

/// The most memory a stored hash may ask of a verification, in KiB (256 MiB): a hash with a
/// larger `m` is refused rather than honoured.
pub const HASH_MEMORY_KIB_MAX: u32 = 256 * 1024;

/// One worker's Argon2 state: the memory blocks, allocated once and reused by every job, so a
/// worker's footprint stays one hash's worth however many logins pass through it.
#[derive(Default)]
pub struct Hasher {
    memory: Vec<Block>,
}

impl Hasher {
    fn run(&mut self, argon2: &Argon2, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
        let blocks = argon2.params().block_count();
        if self.memory.len() < blocks {
            self.memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut self.memory[..blocks])
    }

    /// Hashes a password into an Argon2id PHC string (the crate's default parameters, OWASP's
    /// recommendation: 19 MiB, 2 passes, 1 lane) with a fresh random salt.
    pub fn hash(&mut self, password: &str) -> Result<String, String> {
        let failed = |error: &dyn std::fmt::Display| format!("could not hash the password: {error}");
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_raw = salt.as_salt().decode_b64(&mut salt_bytes).map_err(|e| failed(&e))?;
        let params = Params::default();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.run(&argon2, password.as_bytes(), salt_raw, &mut out).map_err(|e| failed(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches the stored PHC string: false for a malformed hash, one that
    /// is not Argon2, or one asking more than [`HASH_MEMORY_KIB_MAX`].
    pub fn verify(&mut self, hash: &str, password: &str) -> bool {
        if password.len() > PASSWORD_LENGTH_MAX {
            return false;
        }
        let Ok(parsed) = PasswordHash::new(hash) else { return false };
        let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else { return false };
        let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
        let Ok(params) = Params::try_from(&parsed) else { return false };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
        if params.m_cost() > HASH_MEMORY_KIB_MAX {
            return false;
        }
        let mut salt_bytes = [0u8; 64];
        let Ok(salt_raw) = salt.decode_b64(&mut salt_bytes) else { return false };
        let mut out = vec![0u8; expected.len()];
        let argon2 = Argon2::new(algorithm, version, params);
        if self.run(&argon2, password.as_bytes(), salt_raw, &mut out).is_err() {
            return false;
        }
        // `Output`'s equality is constant-time.
        Output::new(&out).is_ok_and(|computed| computed == expected)
    }
}

/// Hashes a password with a one-off [`Hasher`] (the node uses its workers).
#[cfg(test)]
pub fn hash_password(password: &str) -> Result<String, String> {
    Hasher::default().hash(password)
}

/// Checks a password with a one-off [`Hasher`] (the node uses its workers).
#[cfg(test)]
pub fn verify_password(hash: &str, password: &str) -> bool {
    Hasher::default().verify(hash, password)
}

/// A key tokens are signed with, opened: its id in the replicated state and its secret.
#[derive(Clone)]
pub struct TokenKey {
    pub id: u32,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKey({})", self.id)
    }
}

/// A fresh session key's secret: 256 random bits.
pub fn new_session_secret() -> [u8; 32] {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn signature(secret: &[u8], payload: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { unreachable!("HMAC takes keys of any length") };
    mac.update(payload.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// A token for `user` issued at `now_ms`, signed with `key`: `v2.<key id>.<user>.<issued>.<mac>`.
pub fn resume_token(key: &TokenKey, user: UserId, now_ms: u64) -> String {
    let payload = format!("v2.{}.{user}.{now_ms}", key.id);
    let signature = signature(&key.secret, &payload);
    format!("{payload}.{signature}")
}

/// The id of the key a token says signed it, to look the key up; none for anything else.
pub fn token_key_id(token: &str) -> Option<u32> {
    let rest = token.strip_prefix("v2.")?;
    rest.split('.').next()?.parse().ok()
}

/// The user a token names, if `key` signed it and it has not expired.
#[cfg(test)]
pub fn check_resume_token(key: &TokenKey, token: &str, now_ms: u64) -> Option<UserId> {
    check_resume_token_issued(key, token, now_ms).map(|(user, _)| user)
}

/// As [`check_resume_token`], with when the token was issued.
pub fn check_resume_token_issued(key: &TokenKey, token: &str, now_ms: u64) -> Option<(UserId, u64)> {
    let (payload, given) = token.rsplit_once('.')?;
    let expected = signature(&key.secret, payload);
    if !crate::token::matches(&expected, given) {
        return None;
    }
    let mut parts = payload.split('.');
    let (Some("v2"), Some(key_id), Some(user), Some(issued), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if key_id.parse::<u32>().ok()? != key.id {
        return None;
    }
    let issued: u64 = issued.parse().ok()?;
    if now_ms.saturating_sub(issued) > RESUME_TOKEN_LIFETIME_MS {
        return None;
    }
    user.parse().ok().map(|user| (UserId(user), issued))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash an unknown login is checked against must cost what a real one costs: well
    /// formed, with the parameters new hashes get (a malformed one would be refused at once).
    #[test]
    fn nobodys_hash_is_a_real_argon2id_hash_with_the_default_cost() {
        let parsed = PasswordHash::new(NOBODYS_HASH).expect("a PHC string");
        assert_eq!(parsed.algorithm, Algorithm::Argon2id.ident());
        let params = Params::try_from(&parsed).expect("Argon2 parameters");
        let default = Params::default();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
        assert_eq!(parsed.hash.map(|hash| hash.len()), Some(Params::DEFAULT_OUTPUT_LEN));
        assert!(!verify_password(NOBODYS_HASH, ""));
        assert!(!verify_password(NOBODYS_HASH, "password"));
    }

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct horse "));
        assert!(!verify_password("not a hash", "correct horse"));
    }

    #[test]
    fn hashes_interoperate_with_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Ours verify with the crate's verifier, and the crate's (older users) with ours.
        let ours = hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let theirs = Argon2::default().hash_password(b"battery staple", &salt).unwrap().to_string();
        let mut hasher = Hasher::default();
        assert!(hasher.verify(&theirs, "battery staple"));
        assert!(!hasher.verify(&theirs, "battery stapler"));
        // The same hasher serves hashes of other parameters and keeps working.
        let small = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 1, 1, None).unwrap());
        let light = small.hash_password(b"pw", &salt).unwrap().to_string();
        assert!(hasher.verify(&light, "pw"));
        assert!(hasher.verify(&ours, "correct horse"));
        // A stored hash asking for more memory than the bound is refused, not run.
        let greedy = ours.replace("m=19456", &format!("m={}", HASH_MEMORY_KIB_MAX + 1));
        assert!(!hasher.verify(&greedy, "correct horse"));
    }

    #[test]
    fn resume_tokens_are_signed_by_a_named_key_and_expire() {
        let key = TokenKey { id: 3, secret: new_session_secret().to_vec() };
        let token = resume_token(&key, UserId(7), 1_000);
        assert_eq!(token_key_id(&token), Some(3));
        assert_eq!(check_resume_token(&key, &token, 2_000), Some(UserId(7)));
        let other = TokenKey { id: 3, secret: new_session_secret().to_vec() };
        assert_eq!(check_resume_token(&other, &token, 2_000), None, "another cluster's key");
        let renamed = TokenKey { id: 4, secret: key.secret.clone() };
        assert_eq!(check_resume_token(&renamed, &token, 2_000), None, "the token names key 3");
        let forged = token.replacen("v2.3.7.", "v2.3.8.", 1);
        assert_eq!(check_resume_token(&key, &forged, 2_000), None, "another user");
        assert_eq!(check_resume_token(&key, &token, 1_000 + RESUME_TOKEN_LIFETIME_MS + 1), None, "expired");
        assert_eq!(check_resume_token(&key, "garbage", 2_000), None);
        assert_eq!(token_key_id("v1.7.1000.abc"), None, "tokens from before key ids");
    }
}
