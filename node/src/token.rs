//! The administrator bearer token and the demo users' password: configured, or generated once
//! and kept in the data directory, readable by its owner only.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rand::RngCore;

pub const TOKEN_FILE: &str = "admin-token";

/// Returns the token and whether it was created now (so the caller prints it once).
pub fn load_or_create(data_dir: &Path, configured: Option<&str>) -> anyhow::Result<(String, bool)> {
    if let Some(token) = configured {
        anyhow::ensure!(token.len() >= TOKEN_LENGTH_MIN, "admin_token must be at least {TOKEN_LENGTH_MIN} characters");
        return Ok((token.to_string(), false));
    }
    let path = data_dir.join(TOKEN_FILE);
    let (token, created) = load_or_create_secret(&path, || {
        let mut bytes = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    })?;
    // An empty or short file (truncated by a full disk, edited by hand) would let an empty or
    // guessable password in as the administrator.
    anyhow::ensure!(
        token.len() >= TOKEN_LENGTH_MIN,
        "{} holds {} characters; an admin token needs at least {TOKEN_LENGTH_MIN}. Delete the file to have a new one generated, or set admin_token.",
        path.display(),
        token.len()
    );
    Ok((token, created))
}

/// The shortest admin token accepted, configured or read from the file.
pub const TOKEN_LENGTH_MIN: usize = 16;

/// Where the demo users' password is kept.
pub const DEMO_PASSWORD_FILE: &str = "demo-password";

/// The demo users' password: generated once (three groups of four letters and digits, easy to
/// type from the banner) and kept beside the admin token. Returns it and whether it was created
/// now.
pub fn demo_password(data_dir: &Path) -> anyhow::Result<(String, bool)> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    load_or_create_secret(&data_dir.join(DEMO_PASSWORD_FILE), || {
        use rand::Rng;
        let letters: Vec<char> =
            (0..12).map(|_| char::from(ALPHABET[rand::rngs::OsRng.gen_range(0..ALPHABET.len())])).collect();
        letters.chunks(4).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join("-")
    })
}

/// A secret kept in a file only its owner reads (mode 0600): read if it exists, else generated
/// and written. Returns it and whether it was created now.
fn load_or_create_secret(path: &Path, generate: impl FnOnce() -> String) -> anyhow::Result<(String, bool)> {
    if path.exists() {
        let secret = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return Ok((secret.trim().to_string(), false));
    }
    let secret = generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(secret.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    file.sync_all().with_context(|| format!("syncing {}", path.display()))?;
    Ok((secret, true))
}

/// Compares in time independent of where the inputs differ.
pub fn matches(expected: &str, given: &str) -> bool {
    let (expected, given) = (expected.as_bytes(), given.as_bytes());
    if expected.len() != given.len() {
        return false;
    }
    expected.iter().zip(given).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let (first, created) = load_or_create(dir.path(), None).unwrap();
        assert!(created);
        let (second, created) = load_or_create(dir.path(), None).unwrap();
        assert!(!created);
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TOKEN_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_demo_password_is_kept_private_and_easy_to_type() {
        let dir = tempfile::tempdir().unwrap();
        let (first, created) = demo_password(dir.path()).unwrap();
        assert!(created);
        assert_eq!(first.len(), 14, "{first}");
        assert!(first.split('-').all(|group| group.len() == 4 && group.bytes().all(|b| b.is_ascii_alphanumeric())));
        assert_eq!(demo_password(dir.path()).unwrap(), (first, false));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(DEMO_PASSWORD_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    /// Hardening hole 4: an empty token file must not make the empty password the
    /// administrator's.
    #[test]
    fn an_empty_or_short_token_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["", "\n", "short"] {
            std::fs::write(dir.path().join(TOKEN_FILE), text).unwrap();
            let refused = load_or_create(dir.path(), None);
            assert!(refused.is_err_and(|error| error.to_string().contains("needs at least 16")), "{text:?}");
        }
    }

    #[test]
    fn comparison() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abc", "abd"));
        assert!(!matches("abc", "ab"));
    }
}
