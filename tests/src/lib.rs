//! The harness for black-box tests of the built `tandem` binary: real processes on loopback,
//! talking to each other over mutual TLS and to the tests over the HTTP API.
//!
//! It refuses to build the binary (build it first) and to share anything between tests: each
//! cluster has its own temporary directory and ports, and every process it starts is killed when
//! the cluster is dropped, on success and on panic alike. Every wait is bounded and names what it
//! waited for, so a broken node fails a test instead of hanging it.

pub mod bench;
mod client;
mod cluster;
pub mod dovecot;
pub mod postfix;
mod proxy;
mod stream;

pub use client::{
    create_many, create_with_retry, ApiClient, Body, CreateOutcome, CreateReport, Reply, CREATE_ATTEMPT_COUNT_MAX,
    CREATE_RETRY_DURATION_MAX, REQUEST_TIMEOUT,
};
pub use cluster::{Cluster, Node, RaftTuning, Status, TOKEN};
pub use proxy::Proxy;
pub use reqwest::Method;
pub use stream::EventStream;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often [`wait_until`] asks again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How long a one-shot CLI command (`certs`, `cluster status`) may run.
const CLI_TIMEOUT: Duration = Duration::from_secs(30);

/// Polls `check` until it returns `Ok`, and panics after `timeout` saying what it waited for and
/// what it saw last.
pub fn wait_until<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Result<T, String>) -> T {
    let started = Instant::now();
    loop {
        match check() {
            Ok(value) => return value,
            Err(last) => {
                if started.elapsed() >= timeout {
                    panic!("timed out after {timeout:?} waiting for {what}; last observation: {last}");
                }
            }
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// The `tandem` binary: `$TANDEM_BIN`, or `<target>/debug/tandem` beside this executable (a
/// program such as the benchmark) or beside its `deps/` folder (a test).
pub fn tandem_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TANDEM_BIN") {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "TANDEM_BIN={} is not a file", path.display());
        return path;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let exe_dir = exe.parent().expect("the executable lives in a directory");
    let profile_dir = if exe_dir.ends_with("deps") { exe_dir.parent().unwrap_or(exe_dir) } else { exe_dir };
    let path = profile_dir.join(format!("tandem{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing; build it first: cargo build --workspace --all-targets (or set TANDEM_BIN)",
        path.display()
    );
    path
}

/// A `tandem` command with no `TANDEM_*` variables inherited from the test's environment, so a
/// developer's shell cannot change what a test runs.
pub fn tandem_command() -> Command {
    let mut command = Command::new(tandem_binary());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TANDEM_") {
            command.env_remove(key);
        }
    }
    command
}

/// What a one-shot CLI run printed and how it ended.
#[derive(Debug)]
pub struct CliOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `tandem <args>` to completion, killing it after [`CLI_TIMEOUT`].
pub fn run_cli(args: &[&str]) -> CliOutput {
    let mut child = tandem_command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting tandem {args:?}: {e}"));
    let stdout = read_in_background(child.stdout.take().expect("piped stdout"));
    let stderr = read_in_background(child.stderr.take().expect("piped stderr"));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < CLI_TIMEOUT => std::thread::sleep(POLL_INTERVAL),
            Ok(None) => {
                // Kill failing means it exited meanwhile; wait() below reports either way.
                if let Err(error) = child.kill() {
                    eprintln!("killing tandem {args:?}: {error}");
                }
                let status = child.wait().expect("waiting for tandem");
                panic!("tandem {args:?} ran longer than {CLI_TIMEOUT:?} and was killed ({status})");
            }
            Err(error) => panic!("waiting for tandem {args:?}: {error}"),
        }
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    CliOutput { success: status.success(), stdout, stderr }
}

fn read_in_background(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        // A read error ends the capture early; the test then sees what arrived before it.
        if let Err(error) = pipe.read_to_string(&mut text) {
            text.push_str(&format!("\n<read error: {error}>"));
        }
        text
    })
}

/// POSTs a create and returns the new entity's id, failing the caller with the reply otherwise.
pub fn created_id(client: &ApiClient, path: &str, body: serde_json::Value) -> u64 {
    let reply = client.post(path, &body).unwrap_or_else(|e| panic!("POST {path}: {e}"));
    assert_eq!(reply.status, 201, "POST {path} {body}: {}", reply.text);
    reply.json["id"].as_u64().unwrap_or_else(|| panic!("no id in {}", reply.text))
}

/// A skill "Sales" and a Longest Available voice CSQ "Voice" that needs it; returns both ids.
pub fn voice_csq(client: &ApiClient) -> (u64, u64) {
    let skill = created_id(client, "/api/v1/skills", serde_json::json!({"name": "Sales"}));
    let csq = created_id(
        client,
        "/api/v1/csqs",
        serde_json::json!({"name": "Voice", "channel": "voice", "selection": "longest_available",
               "skills": [{"skill": skill, "min_competence": 1}]}),
    );
    (skill, csq)
}

/// Ports handed out by [`free_port`]: below Linux's ephemeral range (32768 and up), where the
/// kernel never picks the local port of an outgoing connection.
const TEST_PORTS: std::ops::Range<u16> = 20_000..32_000;

/// A free TCP port on 127.0.0.1 (bound, then released for the node to take).
///
/// Not an ephemeral port: between this check and the node's bind, one of the many outgoing
/// connections the tests make (desktops, REST clients) could take an ephemeral port, and the
/// node would then fail to start with "address in use". Ports come from [`TEST_PORTS`] in turn
/// from a start that depends on the process, so the tests of one binary never get the same one,
/// and a port still in use (an earlier test binary's) is skipped.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let span = u32::from(TEST_PORTS.end - TEST_PORTS.start);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7_919) % span,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..span {
        let offset = NEXT.fetch_add(1, Ordering::SeqCst) % span;
        let port = TEST_PORTS.start + u16::try_from(offset).unwrap_or(0);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {TEST_PORTS:?}")
}

/// Checks a listed collection against acknowledged creates: every `expected` entity (by its
/// `id`) is listed with exactly the value the create returned, ids are unique, and no value of
/// `unique_field` appears twice (case-insensitively, as the API compares names). `Err` says what
/// is missing or repeated.
pub fn check_listed(
    list: &[serde_json::Value],
    expected: &std::collections::BTreeMap<u64, serde_json::Value>,
    unique_field: &str,
) -> Result<(), String> {
    let mut by_id = std::collections::BTreeMap::new();
    let mut names = std::collections::BTreeSet::new();
    for item in list {
        let id = item.get("id").and_then(serde_json::Value::as_u64).ok_or_else(|| format!("no id in {item}"))?;
        if by_id.insert(id, item).is_some() {
            return Err(format!("id {id} is listed twice"));
        }
        let name = item
            .get(unique_field)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| format!("no {unique_field} in {item}"))?;
        if !names.insert(name.to_lowercase()) {
            return Err(format!("{unique_field} {name:?} is listed twice"));
        }
    }
    let missing: Vec<u64> = expected.keys().filter(|id| !by_id.contains_key(id)).copied().collect();
    if !missing.is_empty() {
        let shown: Vec<u64> = missing.iter().take(10).copied().collect();
        return Err(format!(
            "{} acknowledged entities are not listed (of {} listed), e.g. ids {shown:?}",
            missing.len(),
            list.len()
        ));
    }
    for (id, entity) in expected {
        if by_id[id] != entity {
            return Err(format!("id {id} is listed as {} but the create returned {entity}", by_id[id]));
        }
    }
    Ok(())
}
