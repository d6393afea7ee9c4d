//! Passwords and session resume tokens: the node's half of logging in.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's defaults, OWASP's recommended
//! parameters) into PHC strings before they enter the log, so neither the log nor a snapshot
//! holds a password. Hashing needs a random salt, which is why it happens here and not in the
//! domain. A resume token lets a desktop log back in on the other side after a failover without
//! the password (AutoLogin): it is `v1.<user>.<issued ms>.<HMAC-SHA256>` signed with the
//! cluster's session key, which lives in the replicated center so every node can check every
//! token, and it expires after [`RESUME_TOKEN_LIFETIME_MS`].

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tandem_domain::UserId;

/// How long a resume token is good for: a working day and a half.
pub const RESUME_TOKEN_LIFETIME_MS: u64 = 12 * 60 * 60 * 1000;
/// Characters a password may have (Argon2 takes any length; this bounds the work per login).
pub const PASSWORD_LENGTH_MAX: usize = 1024;

/// Hashes a password into a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| format!("could not hash the password: {error}"))
}

/// Whether `password` matches the stored PHC string (false for a malformed hash).
pub fn verify_password(hash: &str, password: &str) -> bool {
    if password.len() > PASSWORD_LENGTH_MAX {
        return false;
    }
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A fresh session key: 256 random bits as 64 hex digits.
pub fn new_session_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn signature(key: &str, payload: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(payload.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// A resume token for `user`, issued at `now_ms`.
pub fn resume_token(key: &str, user: UserId, now_ms: u64) -> String {
    let payload = format!("v1.{user}.{now_ms}");
    let signature = signature(key, &payload);
    format!("{payload}.{signature}")
}

/// The user a resume token names, if the signature holds and it has not expired.
pub fn check_resume_token(key: &str, token: &str, now_ms: u64) -> Option<UserId> {
    let (payload, given) = token.rsplit_once('.')?;
    let expected = signature(key, payload);
    if !crate::token::matches(&expected, given) {
        return None;
    }
    let mut parts = payload.split('.');
    let (Some("v1"), Some(user), Some(issued), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let issued: u64 = issued.parse().ok()?;
    if now_ms.saturating_sub(issued) > RESUME_TOKEN_LIFETIME_MS {
        return None;
    }
    user.parse().ok().map(UserId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct horse "));
        assert!(!verify_password("not a hash", "correct horse"));
    }

    #[test]
    fn resume_tokens_are_signed_and_expire() {
        let key = new_session_key();
        let token = resume_token(&key, UserId(7), 1_000);
        assert_eq!(check_resume_token(&key, &token, 2_000), Some(UserId(7)));
        assert_eq!(check_resume_token(&new_session_key(), &token, 2_000), None, "another cluster's key");
        let forged = token.replacen("v1.7.", "v1.8.", 1);
        assert_eq!(check_resume_token(&key, &forged, 2_000), None, "another user");
        assert_eq!(check_resume_token(&key, &token, 1_000 + RESUME_TOKEN_LIFETIME_MS + 1), None, "expired");
        assert_eq!(check_resume_token(&key, "garbage", 2_000), None);
    }
}
