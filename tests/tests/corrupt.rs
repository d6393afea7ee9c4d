//! A corrupt data directory at start, on real RocksDB (hardening hole 8): the node refuses to
//! start, names the damaged file, and says how to rebuild it from its peers.

use std::process::Command;

use serde_json::json;
use tandem_tests::{created_id, tandem_binary, Cluster};

/// Hardening hole 8: a corrupt data directory had never been tried against RocksDB itself.
#[test]
fn hole_8_a_corrupt_data_directory_is_refused_at_start_naming_the_file_and_the_way_back() {
    let mut cluster = Cluster::embedded_single();
    created_id(&cluster.client(1), "/api/v1/skills", json!({"name": "Billing"}));
    cluster.kill(1);
    let data_dir = cluster.node(1).dir.join("data");
    let db = data_dir.join("db");
    let manifest = std::fs::read_dir(&db)
        .expect("the database directory")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("MANIFEST-")))
        .expect("a MANIFEST file");
    let garbage: Vec<u8> = (0..200u32).map(|n| (n.wrapping_mul(2_654_435_761) >> 7) as u8).collect();
    std::fs::write(&manifest, garbage).expect("overwriting the MANIFEST");

    let output = Command::new(tandem_binary())
        .args(["run", "--no-demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("tandem runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "a corrupt data directory must not start: {stderr}");
    let expected = format!("the data directory {} is corrupt", data_dir.display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains(&manifest.display().to_string()), "names the damaged file: {stderr}");
    assert!(stderr.contains("tandem cluster remove-node") && stderr.contains("tandem cluster add-node"), "{stderr}");
}
