//! The production binary carries no test scaffolding (STYLE.md (g); docs/decisions/0023): the
//! simulator's planted bugs are compiled only into the simulator's own tests.
//!
//! The features a release build of `tandem` gets are Cargo's to decide, so this asks Cargo:
//! `cargo tree` for the `tandem-node` package alone, its normal dependencies only (what
//! `cargo build --release -p tandem-node` or `cargo install` compiles), must enable no
//! `planted-bugs` feature anywhere.

use std::path::Path;
use std::process::Command;

#[test]
fn the_tandem_binary_is_built_without_planted_bugs() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // Cargo sets the manifest directory when it runs the test. The compile-time one can name
    // another checkout: Cargo reuses a test binary from a shared target directory when only
    // the workspace's path changed (CI clones into a new place each run).
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let workspace = Path::new(&manifest_dir).join("..");
    let output = Command::new(cargo)
        .current_dir(&workspace)
        .args(["tree", "--locked", "--offline", "-p", "tandem-node", "-e", "normal", "--prefix", "none"])
        .args(["--format", "{p} [{f}]"])
        .output()
        .expect("cargo runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    let domain = text.lines().find(|line| line.starts_with("tandem-domain ")).expect("tandem-node uses the domain");
    assert!(domain.contains("openapi"), "features are listed: {domain}");
    let planted: Vec<&str> = text.lines().filter(|line| line.contains("planted-bugs")).collect();
    assert!(planted.is_empty(), "the production build enables planted bugs in: {planted:?}");
}
