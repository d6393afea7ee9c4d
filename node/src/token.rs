//! The administrator bearer token: configured, or generated once and kept in the data directory.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rand::RngCore;

pub const TOKEN_FILE: &str = "admin-token";

/// Returns the token and whether it was created now (so the caller prints it once).
pub fn load_or_create(data_dir: &Path, configured: Option<&str>) -> anyhow::Result<(String, bool)> {
    if let Some(token) = configured {
        anyhow::ensure!(token.len() >= 16, "admin_token must be at least 16 characters");
        return Ok((token.to_string(), false));
    }
    let path = data_dir.join(TOKEN_FILE);
    if path.exists() {
        let token = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        return Ok((token.trim().to_string(), false));
    }
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(token.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    file.sync_all().with_context(|| format!("syncing {}", path.display()))?;
    Ok((token, true))
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
    fn comparison() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abc", "abd"));
        assert!(!matches("abc", "ab"));
    }
}
