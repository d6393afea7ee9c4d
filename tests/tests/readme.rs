//! The README's walk-through, run as written: every indented command between
//! `<!-- walkthrough -->` and `<!-- /walkthrough -->`, in order, in one bash session in an
//! empty folder, with the built `tandem` first on the PATH. The only change is the port: the
//! walk-through's `127.0.0.1:8080` becomes a free one (and `tandem run` and `tandem call` are
//! pointed at it through `TANDEM_API_LISTEN` and `TANDEM_NODE`, the variables the README
//! documents), so the test does not collide with anything else on the machine. A command
//! that fails fails the test, with the whole transcript.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tandem_tests::{free_port, tandem_binary};

/// The whole walk-through may take this long (it waits for the node to start and plays a few
/// short calls).
const WALKTHROUGH_TIMEOUT: Duration = Duration::from_secs(120);

/// The walk-through's commands: the README's indented lines between the markers, each line
/// as written (continuation lines included).
fn walkthrough(readme: &str) -> String {
    let start = readme.find("<!-- walkthrough -->").expect("the README marks its walk-through");
    let end = readme.find("<!-- /walkthrough -->").expect("the README marks the walk-through's end");
    readme[start..end].lines().filter_map(|line| line.strip_prefix("    ")).map(|line| format!("{line}\n")).collect()
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let readme_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("the README");
    let commands = walkthrough(&readme);
    assert!(commands.contains("tandem run"), "the walk-through starts a node:\n{commands}");
    let port = free_port();
    let commands = commands.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    // Echo each command before it runs, stop at the first that fails, and leave no node behind.
    let script = format!("set -euo pipefail\nset -x\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{commands}");
    let folder = tempfile::tempdir().expect("an empty folder");
    let binary = tandem_binary();
    let bin_dir = binary.parent().expect("the binary's folder");
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(folder.path())
        .env("PATH", path)
        .env("TANDEM_API_LISTEN", format!("127.0.0.1:{port}"))
        .env("TANDEM_NODE", format!("http://127.0.0.1:{port}"))
        .env_remove("TANDEM_TOKEN")
        .stdout(Stdio::from(std::fs::File::create(folder.path().join("transcript.log")).expect("a transcript")))
        .stderr(Stdio::from(std::fs::File::create(folder.path().join("trace.log")).expect("a trace")))
        .spawn()
        .expect("bash");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the walk-through's status") {
            break Some(status);
        }
        if started.elapsed() > WALKTHROUGH_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read = |name: &str| std::fs::read_to_string(folder.path().join(name)).unwrap_or_default();
    let transcript =
        format!("--- commands and errors ---\n{}\n--- output ---\n{}", read("trace.log"), read("transcript.log"));
    println!("{transcript}");
    match status {
        Some(status) => assert!(status.success(), "the walk-through failed ({status}):\n{transcript}"),
        None => panic!("the walk-through took over {WALKTHROUGH_TIMEOUT:?}:\n{transcript}"),
    }
    let output = read("transcript.log");
    assert!(output.contains("demo password (shown once"), "the banner shows the demo password:\n{output}");
    assert!(output.contains("\"state\":\"ready\""), "dana is Ready:\n{output}");
    assert!(output.contains("max_chat_sessions_per_agent must be between 1 and 5 (got 6)"), "the refusal:\n{output}");
    assert!(output.contains("\"token\""), "dana's token:\n{output}");
}
