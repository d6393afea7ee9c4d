//! Hole 1 and 8 of the hardening issue: a node whose disk fills up while writes flow must not
//! look alive. Real RocksDB on a small tmpfs: writes are acknowledged until the disk is full;
//! then the node steps aside within a second (readiness and liveness fail, writes are refused
//! with `node_failed`) and exits with status 70 for its supervisor; nothing it acknowledged is
//! lost: the same data directory, copied to a disk with room, starts and holds every
//! acknowledged write.
//!
//! In a three-node cluster the same happens to the node whose disk fills, and the other two go
//! on taking writes without losing one.
//!
//! Mounting a tmpfs needs root (the test says so and fails without it, rather than passing
//! without having run).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tandem_tests::{free_port, tandem_binary, wait_until, ApiClient, Body, Cluster, Method, RaftTuning};

/// The disk: room for RocksDB to start and take a few thousand writes.
const DISK_MIB: u32 = 24;
/// How long writes may flow before the disk must be full.
const FILL_TIMEOUT: Duration = Duration::from_secs(90);
/// The node must be out of readiness this soon after its first refused write.
const STEP_ASIDE_MAX: Duration = Duration::from_secs(2);

/// A tmpfs mounted for the test, unmounted on drop.
struct Mount {
    path: std::path::PathBuf,
    /// The mount point, when the test made one (removed after the unmount).
    _made: Option<tempfile::TempDir>,
}

impl Mount {
    fn new(mib: u32) -> Mount {
        let dir = tempfile::tempdir().expect("a mount point");
        let mut mount = Mount::at(dir.path(), mib);
        mount._made = Some(dir);
        mount
    }

    /// A tmpfs of `mib` MiB on the existing directory `path`.
    fn at(path: &Path, mib: u32) -> Mount {
        let uid = Command::new("id").arg("-u").output().expect("id -u");
        assert_eq!(
            String::from_utf8_lossy(&uid.stdout).trim(),
            "0",
            "the disk-full test mounts a tmpfs and needs root (run the test command as root, as CI does)"
        );
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tandem-test", &path.display().to_string()])
            .status()
            .expect("mount");
        assert!(status.success(), "mounting a {mib} MiB tmpfs on {}", path.display());
        Mount { path: path.to_path_buf(), _made: None }
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// `tandem run` on `data_dir`, killed on drop.
struct Node {
    child: Child,
    client: ApiClient,
}

impl Node {
    fn start(data_dir: &Path, log: &Path) -> Node {
        let port = free_port();
        let child = Command::new(tandem_binary())
            .args(["run", "--no-demo", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(log).expect("a log file")))
            .spawn()
            .expect("tandem run");
        let token_path = data_dir.join("admin-token");
        let token = wait_until(Duration::from_secs(30), "the node's admin token", || {
            std::fs::read_to_string(&token_path).map_err(|e| e.to_string()).and_then(|token| {
                if token.trim().len() >= 16 {
                    Ok(token.trim().to_owned())
                } else {
                    Err("empty".into())
                }
            })
        });
        let client = ApiClient::new(&format!("http://127.0.0.1:{port}"), Some(&token));
        wait_until(Duration::from_secs(30), "the node ready", || match client.get("/readyz") {
            Ok(reply) if reply.status == 200 => Ok(()),
            Ok(reply) => Err(reply.text),
            Err(error) => Err(error),
        });
        Node { child, client }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A predefined response's body for write `n`: 1,500 characters, so each write is a sizeable
/// log entry.
fn body(n: u64) -> String {
    let stamp = format!("write {n:08} ");
    stamp.repeat(1500 / stamp.len()).chars().take(1500).collect()
}

#[test]
fn a_node_whose_disk_fills_steps_aside_and_loses_nothing_acknowledged() {
    let disk = Mount::new(DISK_MIB);
    let logs = tempfile::tempdir().expect("a log folder");
    let data_dir = disk.path().join("data");
    let mut node = Node::start(&data_dir, &logs.path().join("full.log"));
    let api = node.client.clone();
    let created = api
        .post(
            "/api/v1/predefined-responses",
            &json!({"title": "Notice", "channel": "email", "body": body(0), "tags": "global"}),
        )
        .expect("a reply");
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_u64().expect("an id");

    // Writes flow until one is refused (or the node is gone).
    let started = Instant::now();
    let mut acknowledged = 0u64;
    let refused_at = loop {
        assert!(started.elapsed() < FILL_TIMEOUT, "{DISK_MIB} MiB not full after {acknowledged} writes");
        let n = acknowledged + 1;
        let update = json!({"title": "Notice", "channel": "email", "body": body(n), "tags": "global"});
        match api.send(Method::PUT, &format!("/api/v1/predefined-responses/{id}"), &Body::Json(update), None) {
            Ok(reply) if reply.status == 200 => acknowledged = n,
            Ok(reply) => {
                println!("write {n} refused: {} {}", reply.status, reply.text);
                break Instant::now();
            }
            Err(error) => {
                println!("write {n} failed: {error}");
                break Instant::now();
            }
        }
    };
    println!("{acknowledged} writes acknowledged before the disk was full ({:.1} s)", started.elapsed().as_secs_f64());
    assert!(acknowledged > 100, "the disk took only {acknowledged} writes");

    // Out of readiness (or gone) within the bound, and liveness fails too.
    let ready = |path: &str| matches!(api.get(path), Ok(reply) if reply.status == 200);
    while ready("/readyz") {
        assert!(
            refused_at.elapsed() < STEP_ASIDE_MAX,
            "still ready {:?} after the first refused write",
            refused_at.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("out of readiness {:.0} ms after the first refused write", refused_at.elapsed().as_secs_f64() * 1000.0);
    if let Ok(reply) = api.get("/api/v1/skills") {
        assert!(reply.status >= 500, "a stepped-aside node still answers: {} {}", reply.status, reply.text);
    }
    // The process exits for its supervisor to restart it.
    let status = wait_until(Duration::from_secs(10), "the node to exit", || match node.child.try_wait() {
        Ok(Some(status)) => Ok(status),
        Ok(None) => Err("still running".into()),
        Err(error) => Err(error.to_string()),
    });
    let log = std::fs::read_to_string(logs.path().join("full.log")).unwrap_or_default();
    assert_eq!(status.code(), Some(70), "exit status; log:\n{log}");
    assert!(log.contains("stepping aside"), "the log says why:\n{log}");

    // Nothing acknowledged is lost: the data directory, given room, holds the last
    // acknowledged write (or the one after it, if it applied but its answer was lost).
    let roomy = tempfile::tempdir().expect("a roomy folder");
    let copied = Command::new("cp").arg("-a").arg(&data_dir).arg(roomy.path()).status().expect("cp");
    assert!(copied.success());
    drop(disk);
    let node = Node::start(&roomy.path().join("data"), &logs.path().join("roomy.log"));
    let found = node.client.get(&format!("/api/v1/predefined-responses/{id}")).expect("a reply");
    assert_eq!(found.status, 200, "{}", found.text);
    let stored = found.json["body"].as_str().unwrap_or_default().to_owned();
    assert!(
        stored == body(acknowledged) || stored == body(acknowledged + 1),
        "acknowledged write {acknowledged} lost: the node holds {:?}",
        stored.get(..20)
    );
}

/// Hardening hole 8, in a cluster: node 2's disk fills while writes flow through node 1. Node 2
/// steps aside and exits for its supervisor; nodes 1 and 3 (a quorum) go on taking writes, and
/// every write the cluster acknowledged is there.
#[test]
fn in_a_cluster_the_node_whose_disk_fills_steps_aside_and_the_others_go_on() {
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    let data = cluster.node(2).dir.join("data");
    std::fs::create_dir_all(&data).expect("node 2's data directory");
    // Declared after the cluster, so it is unmounted first (lazily, whatever still runs).
    let _disk = Mount::at(&data, DISK_MIB);
    cluster.start_all();
    let api = cluster.client(1);
    let created = api
        .post(
            "/api/v1/predefined-responses",
            &json!({"title": "Notice", "channel": "email", "body": body(0), "tags": "global"}),
        )
        .expect("a reply");
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_u64().expect("an id");
    let write = |n: u64| {
        let update = json!({"title": "Notice", "channel": "email", "body": body(n), "tags": "global"});
        matches!(api.send(Method::PUT, &format!("/api/v1/predefined-responses/{id}"), &Body::Json(update), None),
                 Ok(reply) if reply.status == 200)
    };

    let started = Instant::now();
    let mut acknowledged = 0u64;
    let status = loop {
        assert!(started.elapsed() < FILL_TIMEOUT, "node 2's {DISK_MIB} MiB not full after {acknowledged} writes");
        if let Some(status) = cluster.node_mut(2).exited() {
            break status;
        }
        if write(acknowledged + 1) {
            acknowledged += 1;
        }
    };
    println!("node 2 exited ({status}) after {acknowledged} writes ({:.1} s)", started.elapsed().as_secs_f64());
    assert_eq!(status.code(), Some(70), "node 2's exit status:\n{}", cluster.node(2).log_tail());
    let log = std::fs::read_to_string(cluster.node(2).dir.join("stderr.log")).unwrap_or_default();
    assert!(log.contains("stepping aside"), "node 2's log does not say why it left:\n{}", cluster.node(2).log_tail());
    assert!(acknowledged > 100, "node 2's disk took only {acknowledged} writes");

    // The other two go on: 20 more writes, each acknowledged within the write timeout.
    for _ in 0..20 {
        let n = acknowledged + 1;
        wait_until(Duration::from_secs(10), "a write after node 2 left", || {
            if write(n) {
                Ok(())
            } else {
                Err(format!("write {n} not acknowledged"))
            }
        });
        acknowledged = n;
    }
    for node in [1, 3] {
        cluster.node_mut(node).assert_alive();
    }
    let found = api.get(&format!("/api/v1/predefined-responses/{id}")).expect("a reply");
    assert_eq!(found.json["body"].as_str(), Some(body(acknowledged).as_str()), "the last acknowledged write");
}
