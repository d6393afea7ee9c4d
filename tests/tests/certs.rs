//! Node identity on the node-to-node links, black-box against the built binary (hardening hole
//! 6): a certificate names its node and both ends check it, and `tandem certs rotate` replaces
//! the certificates of a running cluster without a restart.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use tandem_tests::{created_id, run_cli, Cluster, RaftTuning};

/// Hardening hole 6: any certificate from the cluster CA was accepted for any node id, so a
/// node holding node 2's key could vote, append and answer as node 2 (or a stolen key of one
/// node could impersonate them all). Now node 3 restarted with node 2's certificate is refused
/// both ways: its vote requests (it says it is node 3 with a certificate naming node 2) and the
/// leader's calls to it (the answer comes from a certificate that does not name node 3). The
/// two honest nodes go on; node 3 gets nothing more of the log.
#[test]
fn hole_6_a_certificate_for_one_node_cannot_act_as_another() {
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    cluster.start_all();
    let admin = cluster.client(1);
    created_id(&admin, "/api/v1/skills", json!({"name": "billing"}));
    cluster.kill(3);
    let known = cluster.status(1).expect("node 1's status").last_log_index.unwrap_or(0);
    let certs = cluster.certs_dir().to_path_buf();
    for extension in ["crt", "key"] {
        std::fs::copy(certs.join(format!("node-2.{extension}")), certs.join(format!("node-3.{extension}")))
            .expect("copying node 2's certificate over node 3's");
    }
    cluster.start(3);
    cluster.wait_healthy(3);
    created_id(&admin, "/api/v1/skills", json!({"name": "written after the impostor came"}));

    tandem_tests::wait_until(Duration::from_secs(20), "both ends refuse the impostor", || {
        let logs = cluster.logs();
        let server_side = logs.contains("came from a caller that is not node 3");
        let client_side = logs.contains("does not name node 3");
        match (server_side, client_side) {
            (true, true) => Ok(()),
            other => Err(format!("(its vote refused, its answer refused) = {other:?}")),
        }
    });
    let leader = cluster.status(1).expect("node 1's status");
    let impostor = cluster.status(3).expect("node 3's status");
    assert!(leader.last_log_index.unwrap_or(0) > known, "{leader:?}");
    assert!(impostor.applied_index.unwrap_or(0) <= known, "node 3 got the log: {impostor:?}");
    assert!(matches!(leader.leader_id, Some(1) | Some(2)), "{leader:?}");
}

/// Hardening hole 6: certificates could not be replaced without stopping the cluster. Now
/// `tandem certs rotate` reissues them under the same CA and running nodes present the new ones
/// on their next handshake; a node restarted afterwards (new connections both ways, checked
/// with the new certificates) catches up with writes made meanwhile.
#[test]
fn hole_6_certs_rotate_replaces_certificates_on_a_running_cluster() {
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    cluster.start_all();
    let certs = cluster.certs_dir().to_path_buf();
    let before: Vec<String> = (1..=3).map(|id| file_fingerprint(&certs.join(format!("node-{id}.crt")))).collect();
    for id in 1..=3 {
        let raft_addr = cluster.node(id).raft_addr().expect("a raft address");
        assert_eq!(served_fingerprint(&certs, &raft_addr), before[id as usize - 1], "node {id} before rotation");
    }

    let dir = certs.display().to_string();
    let rotated = run_cli(&["certs", "rotate", "--dir", &dir, "--node", "1", "--node", "2", "--node", "3"]);
    assert!(rotated.success, "{}\n{}", rotated.stdout, rotated.stderr);
    assert!(rotated.stdout.contains("node 2:") && rotated.stdout.contains("reissued"), "{}", rotated.stdout);
    for id in 1..=3 {
        let after = file_fingerprint(&certs.join(format!("node-{id}.crt")));
        assert_ne!(after, before[id as usize - 1], "node {id}'s certificate was not reissued");
        let raft_addr = cluster.node(id).raft_addr().expect("a raft address");
        assert_eq!(served_fingerprint(&certs, &raft_addr), after, "node {id} still presents its old certificate");
    }

    // A pair that does not name the node (here node 2's, copied over node 1's) is not swapped
    // in: node 1 keeps presenting its own, and says why.
    let node_1 = file_fingerprint(&certs.join("node-1.crt"));
    let saved: Vec<Vec<u8>> = ["crt", "key"]
        .iter()
        .map(|extension| std::fs::read(certs.join(format!("node-1.{extension}"))).expect("node 1's files"))
        .collect();
    for extension in ["key", "crt"] {
        std::fs::copy(certs.join(format!("node-2.{extension}")), certs.join(format!("node-1.{extension}")))
            .expect("copying node 2's pair over node 1's");
    }
    let raft_addr = cluster.node(1).raft_addr().expect("a raft address");
    assert_eq!(served_fingerprint(&certs, &raft_addr), node_1, "node 1 swapped in a pair that does not name it");
    tandem_tests::wait_until(Duration::from_secs(10), "node 1 says why", || {
        match cluster.logs().contains("node certificate changed but is not usable") {
            true => Ok(()),
            false => Err("no warning yet".into()),
        }
    });
    for (extension, contents) in ["crt", "key"].iter().zip(saved) {
        std::fs::write(certs.join(format!("node-1.{extension}")), contents).expect("restoring node 1's pair");
    }

    cluster.kill(3);
    let admin = cluster.client(1);
    created_id(&admin, "/api/v1/skills", json!({"name": "written while node 3 was down"}));
    let target = cluster.status(1).expect("node 1's status").last_log_index.expect("a log");
    cluster.start(3);
    tandem_tests::wait_until(Duration::from_secs(20), "node 3 catches up over the new certificates", || {
        let status = cluster.status(3)?;
        match status.applied_index {
            Some(applied) if applied >= target => Ok(()),
            other => Err(format!("node 3 applied {other:?} of {target}")),
        }
    });

    // Rotation never makes a new CA: nodes on the old one would refuse its certificates.
    let empty = tempfile::tempdir().expect("a directory");
    let refused = run_cli(&["certs", "rotate", "--dir", &empty.path().display().to_string(), "--node", "1"]);
    assert!(!refused.success && refused.stderr.contains("holds no ca.key"), "{}", refused.stderr);
}

/// The SHA-256 fingerprint of a PEM certificate file.
fn file_fingerprint(path: &Path) -> String {
    let output = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(path)
        .output()
        .expect("running openssl (scripts/setup-debian installs it)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The fingerprint of the certificate a node presents on its node-to-node listener now, read
/// with a new TLS handshake (as a node of the cluster, since the listener wants a client
/// certificate).
fn served_fingerprint(certs: &Path, raft_addr: &str) -> String {
    let handshake = Command::new("openssl")
        .args(["s_client", "-connect", raft_addr, "-CAfile"])
        .arg(certs.join("ca.crt"))
        .arg("-cert")
        .arg(certs.join("node-1.crt"))
        .arg("-key")
        .arg(certs.join("node-1.key"))
        .stdin(Stdio::null())
        .output()
        .expect("running openssl s_client");
    let text = String::from_utf8_lossy(&handshake.stdout);
    let begin = text.find("-----BEGIN CERTIFICATE-----").unwrap_or_else(|| panic!("no certificate served:\n{text}"));
    let end = text[begin..].find("-----END CERTIFICATE-----").expect("a whole certificate") + begin;
    let pem = format!("{}-----END CERTIFICATE-----\n", &text[begin..end]);
    let file = tempfile::NamedTempFile::new().expect("a file");
    std::fs::write(file.path(), pem).expect("writing the served certificate");
    file_fingerprint(file.path())
}
