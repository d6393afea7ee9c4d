//! The agent desktop in a real browser: headless Chromium driven over WebDriver (chromedriver)
//! logs in at `/desktop`, works a voice call with the page's buttons, and the cluster's REST
//! status of the agent is checked after every step. Screenshots of the login, the call and the
//! wrap-up land in `<target>/screenshots/` (or `$TANDEM_SCREENSHOTS`).
//!
//! Needs `chromium` and `chromedriver` (Debian: `scripts/setup-debian` installs them); without
//! them the test fails and says so, rather than passing without having run.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tandem_tests::{created_id, free_port, tandem_binary, voice_csq, wait_until, ApiClient, Cluster, RaftTuning};

const PASSWORD: &str = "correct horse battery";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a step may take to show in the page or in the cluster.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long chromedriver may take to listen.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);

fn agent_status(client: &ApiClient, agent: u64) -> Value {
    let reply = client.get(&format!("/api/v1/agents/{agent}/status")).expect("a status");
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

/// Waits until the cluster reports `agent` in `state`; returns its status.
fn wait_for_state(client: &ApiClient, agent: u64, state: &str) -> Value {
    wait_until(STEP_TIMEOUT, &format!("agent {agent} {state} (REST)"), || {
        let status = agent_status(client, agent);
        if status["state"] == state {
            Ok(status)
        } else {
            Err(status.to_string())
        }
    })
}

/// The browser tools, or a failure that says how to get them.
fn browser_tools() -> (PathBuf, PathBuf) {
    let chromium = std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from(CHROMIUM), PathBuf::from);
    let driver = std::env::var_os("CHROMEDRIVER").map_or_else(|| PathBuf::from(CHROMEDRIVER), PathBuf::from);
    for (tool, path) in [("chromium", &chromium), ("chromedriver", &driver)] {
        assert!(
            path.is_file(),
            "{tool} not found at {}: the browser test needs chromium and chromedriver. Run scripts/setup-debian \
             (it installs the Debian packages chromium and chromium-driver), or set CHROMIUM / CHROMEDRIVER.",
            path.display()
        );
    }
    (chromium, driver)
}

/// Where screenshots go: `$TANDEM_SCREENSHOTS`, else `screenshots/` in the Cargo target directory.
fn screenshot_dir() -> PathBuf {
    let dir = match std::env::var_os("TANDEM_SCREENSHOTS") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let exe = std::env::current_exe().expect("the test binary's path");
            // <target>/debug/deps/browser-<hash>
            let target = exe.ancestors().nth(3).expect("the test binary lives in <target>/<profile>/deps");
            target.join("screenshots")
        }
    };
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(path: &Path) -> Driver {
        let port = free_port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", path.display()));
        let mut driver = Driver { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(exit)) = driver.child.try_wait() {
                panic!("chromedriver exited at start: {exit}");
            }
            assert!(started.elapsed() < DRIVER_START_TIMEOUT, "chromedriver did not listen on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session (the W3C protocol: JSON over HTTP, spoken with the blocking reqwest
/// client the harness already uses; a WebDriver crate's dependency tree would change the
/// features of shared proc-macro dependencies and rebuild the whole workspace, RocksDB included).
struct Browser {
    http: reqwest::blocking::Client,
    /// `http://127.0.0.1:<port>/session/<id>`.
    session: Option<String>,
    screenshots: PathBuf,
    // Dropped after the session: the profile directory and the driver outlive it.
    _profile: tempfile::TempDir,
    _driver: Driver,
}

/// The W3C key of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long one WebDriver command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

impl Browser {
    fn open(chromium: &Path, driver_path: &Path) -> Browser {
        let driver = Driver::start(driver_path);
        let profile = tempfile::tempdir().expect("a profile directory");
        let http = reqwest::blocking::Client::builder().timeout(COMMAND_TIMEOUT).build().expect("an HTTP client");
        let options = json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        let capabilities =
            json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}});
        let base = format!("http://127.0.0.1:{}", driver.port);
        let mut browser =
            Browser { http, session: None, screenshots: screenshot_dir(), _profile: profile, _driver: driver };
        let created = browser
            .command(reqwest::Method::POST, &format!("{base}/session"), Some(capabilities))
            .unwrap_or_else(|e| panic!("a WebDriver session: {e}"));
        let id = created["sessionId"].as_str().unwrap_or_else(|| panic!("no session id in {created}"));
        browser.session = Some(format!("{base}/session/{id}"));
        browser
    }

    /// One WebDriver command; its `value`, or the driver's error.
    fn command(&self, method: reqwest::Method, url: &str, body: Option<Value>) -> Result<Value, String> {
        let mut request = self.http.request(method.clone(), url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().map_err(|e| format!("{method} {url}: {e}"))?;
        let status = response.status();
        let reply: Value = response.json().map_err(|e| format!("{method} {url}: {e}"))?;
        let value = reply.get("value").cloned().unwrap_or(Value::Null);
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("{method} {url}: {status}: {} {}", value["error"], value["message"]))
        }
    }

    fn session(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let session = self.session.as_deref().expect("the session is open");
        self.command(method, &format!("{session}{path}"), body)
    }

    fn find(&self, css: &str) -> Result<String, String> {
        let found =
            self.session(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})))?;
        found[ELEMENT_KEY].as_str().map(str::to_owned).ok_or_else(|| format!("{css}: no element in {found}"))
    }

    fn element(&self, css: &str, method: reqwest::Method, action: &str, body: Option<Value>) -> Result<Value, String> {
        let element = self.find(css)?;
        self.session(method, &format!("/element/{element}/{action}"), body)
    }

    fn goto(&self, url: &str) {
        self.session(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    fn type_into(&self, id: &str, text: &str) {
        let css = format!("#{id}");
        self.element(&css, reqwest::Method::POST, "clear", Some(json!({})))
            .and_then(|_| self.element(&css, reqwest::Method::POST, "value", Some(json!({"text": text}))))
            .unwrap_or_else(|e| panic!("typing into #{id}: {e}"));
    }

    fn click(&self, id: &str) {
        self.click_css(&format!("#{id}"));
    }

    fn click_css(&self, css: &str) {
        self.element(css, reqwest::Method::POST, "click", Some(json!({})))
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    /// The element's text, or `Err` with why not (for polling).
    fn text(&self, id: &str) -> Result<String, String> {
        let text = self.element(&format!("#{id}"), reqwest::Method::GET, "text", None)?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    fn enabled(&self, id: &str) -> Result<bool, String> {
        Ok(self.element(&format!("#{id}"), reqwest::Method::GET, "enabled", None)?.as_bool().unwrap_or(false))
    }

    fn displayed(&self, id: &str) -> Result<bool, String> {
        Ok(self.element(&format!("#{id}"), reqwest::Method::GET, "displayed", None)?.as_bool().unwrap_or(false))
    }

    fn script(&self, script: &str) -> Value {
        self.session(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []})))
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    fn wait_text(&self, id: &str, expected: &str) {
        wait_until(STEP_TIMEOUT, &format!("#{id} to read {expected:?}"), || match self.text(id) {
            Ok(text) if text.trim() == expected => Ok(()),
            Ok(text) => Err(format!("it reads {text:?}")),
            Err(error) => Err(error),
        });
    }

    fn wait_enabled(&self, id: &str, enabled: bool) {
        wait_until(STEP_TIMEOUT, &format!("#{id} enabled={enabled}"), || match self.enabled(id) {
            Ok(now) if now == enabled => Ok(()),
            Ok(now) => Err(format!("enabled={now}")),
            Err(error) => Err(error),
        });
    }

    fn wait_displayed(&self, id: &str, displayed: bool) {
        wait_until(STEP_TIMEOUT, &format!("#{id} displayed={displayed}"), || match self.displayed(id) {
            Ok(now) if now == displayed => Ok(()),
            Ok(now) => Err(format!("displayed={now}")),
            Err(error) => Err(error),
        });
    }

    fn screenshot(&self, name: &str) -> PathBuf {
        let encoded = self
            .session(reqwest::Method::GET, "/screenshot", None)
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let png = base64_decode(encoded.as_str().unwrap_or_default())
            .unwrap_or_else(|| panic!("screenshot {name}: not base64"));
        assert!(png.starts_with(b"\x89PNG"), "the screenshot {name} is not a PNG");
        let path = self.screenshots.join(format!("desktop-{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.session.is_some() {
            let _ = self.session(reqwest::Method::DELETE, "", None);
        }
    }
}

/// Standard base64 (the screenshot encoding); `None` on a bad character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |byte: u8| -> Option<u32> {
        Some(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'=').collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut bits = 0u32;
        for (i, &byte) in chunk.iter().enumerate() {
            bits |= value(byte)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// One node with a skill, a voice CSQ, agent `alice` with its user, and a Not Ready and a
/// Logout reason code. Returns the cluster, the voice CSQ and the agent.
fn center() -> (Cluster, u64, u64) {
    center_on(&[(1, "a")])
}

/// Agent `alice` with `skill` and her user `alice.user`; returns the agent.
fn alice(admin: &ApiClient, skill: u64) -> u64 {
    let agent = created_id(
        admin,
        "/api/v1/agents",
        json!({"login_name": "alice", "name": "Alice Agent", "skills": [{"skill": skill, "competence": 5}]}),
    );
    created_id(
        admin,
        "/api/v1/users",
        json!({"login_name": "alice.user", "role": "agent", "agent": agent, "password": PASSWORD}),
    );
    agent
}

/// [`center`] on a cluster of these members; configured through node 1.
fn center_on(members: &[(u64, &'static str)]) -> (Cluster, u64, u64) {
    let mut cluster = Cluster::new(members, RaftTuning::fast());
    cluster.start_all();
    let admin = cluster.client(1);

    let (skill, csq) = voice_csq(&admin);
    let agent = alice(&admin, skill);
    created_id(&admin, "/api/v1/reason-codes", json!({"kind": "not_ready", "value": 12, "label": "Lunch"}));
    created_id(&admin, "/api/v1/reason-codes", json!({"kind": "logout", "value": 21, "label": "End of shift"}));

    (cluster, csq, agent)
}

#[test]
fn an_agent_works_a_call_in_the_browser_desktop() {
    let (chromium, driver) = browser_tools();
    let (cluster, csq, agent) = center();
    let admin = cluster.client(1);
    let browser = Browser::open(&chromium, &driver);
    let desktop = format!("{}/desktop", admin.base_url());

    // The login form; the node redirects / to it.
    browser.goto(admin.base_url());
    browser.wait_text("login-title", "CTI Login");
    browser.type_into("login-name", "alice");
    browser.type_into("login-password", PASSWORD);
    let shot = browser.screenshot("login");
    println!("screenshot: {}", shot.display());
    browser.click("login-button");
    browser.wait_displayed("desk-view", true);
    browser.wait_text("status-state", "Not Ready");
    browser.wait_text("status-agent", &agent.to_string());
    browser.wait_text("status-node", "Node 1");
    wait_for_state(&admin, agent, "not_ready");
    assert_eq!(browser.script("return location.pathname"), json!("/desktop"), "{desktop}");
    // The CSQ alice serves shows in the Queues grid (skill-group statistics from the cluster).
    wait_until(STEP_TIMEOUT, "alice's CSQ in the Queues grid", || {
        let found =
            browser.script(&format!("return document.querySelector(\"#queue-rows tr[data-csq='{csq}']\") !== null"));
        if found == json!(true) {
            Ok(())
        } else {
            Err(found.to_string())
        }
    });

    // Bob, at extension 1002, logged in and Not Ready: the transfer's destination.
    let bob =
        created_id(&admin, "/api/v1/agents", json!({"login_name": "bob", "name": "Bob Agent", "extension": "1002"}));
    let login = admin.post(&format!("/api/v1/agents/{bob}/actions"), &json!({"action": "set_state", "state": "login"}));
    assert_eq!(login.expect("bob logs in").status, 200);
    wait_for_state(&admin, bob, "not_ready");
    created_id(&admin, "/api/v1/dialed-numbers", json!({"number": "5000", "csq": csq}));

    // Ready; a call to the dialed number arrives and rings: Answer lights up.
    browser.wait_enabled("btn-answer", false);
    browser.click("btn-ready");
    browser.wait_text("status-state", "Ready");
    wait_for_state(&admin, agent, "ready");
    let call = admin.post("/api/v1/calls", &json!({"dialed_number": "5000", "ani": "+15550100"})).expect("a call");
    assert_eq!(call.status, 201, "{}", call.text);
    let call = call.json["call"].as_u64().unwrap_or_else(|| panic!("no call in {}", call.text));
    browser.wait_enabled("btn-answer", true);
    wait_for_state(&admin, agent, "reserved");
    browser.click("btn-answer");
    browser.wait_text("status-state", "Talking");
    wait_for_state(&admin, agent, "talking");
    browser.wait_enabled("btn-hold", true);
    let shot = browser.screenshot("talking");
    println!("screenshot: {}", shot.display());

    // Call data: the caller's number is shown; a call variable written from the desktop is the
    // call's, for everyone on it.
    wait_until(STEP_TIMEOUT, "the caller's number in the call data", || {
        let shown = browser.script("return document.getElementById('call-data').textContent");
        if shown.as_str().is_some_and(|text| text.contains("+15550100")) {
            Ok(())
        } else {
            Err(shown.to_string())
        }
    });
    browser.script("document.getElementById('variable-number').value = '3'; return true");
    browser.type_into("variable-value", "VIP");
    browser.click("variable-set");
    wait_until(STEP_TIMEOUT, "call variable 3 set", || {
        let found = admin.get(&format!("/api/v1/calls/{call}")).expect("the call");
        if found.json["data"]["variables"]["3"] == "VIP" {
            Ok(())
        } else {
            let message = browser.script("return document.getElementById('message').textContent");
            Err(format!("{} (desk message: {message})", found.text))
        }
    });
    wait_until(STEP_TIMEOUT, "call variable 3 on the desk", || {
        let shown = browser.script("return document.getElementById('call-data').textContent");
        if shown.as_str().is_some_and(|text| text.contains("Variable 3VIP")) {
            Ok(())
        } else {
            Err(shown.to_string())
        }
    });

    // Hold with the button, retrieve with the Alt+H shortcut.
    browser.click("btn-hold");
    browser.wait_text("status-state", "Hold");
    wait_for_state(&admin, agent, "hold");
    browser.wait_enabled("btn-retrieve", true);
    browser.script("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'h', altKey: true, bubbles: true}))");
    browser.wait_text("status-state", "Talking");
    wait_for_state(&admin, agent, "talking");

    // Choose Work Ready for after the call.
    browser.click("btn-work-ready");
    wait_until(STEP_TIMEOUT, "work_ready chosen for after the call", || {
        let status = agent_status(&admin, agent);
        if status["pending"]["state"] == "work_ready" {
            Ok(())
        } else {
            Err(status.to_string())
        }
    });

    // Transfer Init to Bob's extension: the caller is held, Bob rings; once he answers,
    // Transfer Complete lights up, and completing it leaves Bob with the caller.
    browser.wait_enabled("btn-transfer-complete", false);
    browser.type_into("dial-number", "1002");
    browser.wait_enabled("btn-transfer-init", true);
    browser.click("btn-transfer-init");
    wait_for_state(&admin, bob, "reserved");
    let answer = admin.post(&format!("/api/v1/agents/{bob}/actions"), &json!({"action": "answer_call"}));
    assert_eq!(answer.expect("bob answers").status, 200);
    wait_for_state(&admin, bob, "talking");
    browser.wait_enabled("btn-transfer-complete", true);
    let shot = browser.screenshot("consulting");
    println!("screenshot: {}", shot.display());
    browser.click("btn-transfer-complete");
    browser.wait_text("status-state", "Work Ready");
    let transferred = admin.get(&format!("/api/v1/calls/{call}")).expect("the call");
    assert_eq!(transferred.status, 200, "{}", transferred.text);
    let parties: Vec<&Value> = transferred.json["connections"]
        .as_array()
        .unwrap_or_else(|| panic!("connections in {}", transferred.text))
        .iter()
        .map(|connection| &connection["party"])
        .collect();
    assert_eq!(parties, [&json!({"external": "+15550100"}), &json!({"agent": bob})], "{}", transferred.text);
    wait_for_state(&admin, agent, "work_ready");
    browser.wait_text("stat-handled", "1");

    // Wrap-up data, then Ready again.
    browser.wait_enabled("wrapup-set", true);
    browser.type_into("wrapup-data", "Billing question");
    browser.click("wrapup-set");
    browser.wait_text("wrapup-current", "Wrap-up data: Billing question");
    let status = agent_status(&admin, agent);
    assert_eq!(status["state"], "work_ready");
    assert_eq!(status["wrap_up"]["wrap_up_data"], "Billing question", "{status}");
    let shot = browser.screenshot("wrap-up");
    println!("screenshot: {}", shot.display());
    browser.click("btn-ready");
    browser.wait_text("status-state", "Ready");
    wait_for_state(&admin, agent, "ready");

    // Not Ready and Logout ask for a reason, in dialogs with the spec's titles.
    browser.click("btn-not-ready");
    browser.wait_displayed("reason-dialog", true);
    browser.wait_text("reason-title", "Select Reason: NotReady");
    browser.click_css("#reason-list button[data-value='12']");
    browser.wait_text("status-state", "Not Ready");
    let status = wait_for_state(&admin, agent, "not_ready");
    assert_eq!(status["reason"], 12, "{status}");
    browser.click("btn-logout");
    browser.wait_text("reason-title", "Select Reason: Logout");
    browser.click_css("#reason-list button[data-value='21']");
    let status = wait_for_state(&admin, agent, "logged_out");
    assert_eq!(status["reason"], 21, "{status}");
    browser.wait_displayed("login-view", true);
}

#[test]
fn the_desktop_shows_offline_and_resumes_when_its_node_comes_back() {
    let (chromium, driver) = browser_tools();
    let (mut cluster, _, agent) = center();
    let admin = cluster.client(1);
    let browser = Browser::open(&chromium, &driver);
    browser.goto(&format!("{}/desktop", admin.base_url()));
    browser.type_into("login-name", "alice.user");
    browser.type_into("login-password", PASSWORD);
    browser.click("login-button");
    browser.wait_text("status-state", "Not Ready");
    wait_for_state(&admin, agent, "not_ready");

    // The node dies: the page says Offline and keeps what the agent clicks meanwhile.
    cluster.kill(1);
    browser.wait_displayed("offline-banner", true);
    browser.wait_text("status-state", "Offline");
    browser.wait_text("status-connection", "Offline");
    browser.click("btn-ready");
    assert_eq!(browser.script("return window.tandemDesktop.pending()"), json!(1), "the click is buffered");

    // It comes back: the page logs back in with its resume token (no password typed) and the
    // buffered Ready applies.
    cluster.start(1);
    cluster.wait_healthy(1);
    cluster.wait_for_leader();
    browser.wait_displayed("offline-banner", false);
    browser.wait_text("status-state", "Ready");
    wait_for_state(&admin, agent, "ready");
    wait_until(STEP_TIMEOUT, "the buffered request answered", || {
        match browser.script("return window.tandemDesktop.pending()") {
            pending if pending == json!(0) => Ok(()),
            pending => Err(format!("{pending} pending")),
        }
    });
    browser.wait_displayed("desk-view", true);
}

#[test]
fn the_desktop_fails_over_to_side_b_when_side_a_dies() {
    let (chromium, driver) = browser_tools();
    let (mut cluster, _, agent) = center_on(&[(1, "a"), (2, "b"), (3, "witness")]);
    let (a, b) = (cluster.client(1), cluster.client(2));
    let browser = Browser::open(&chromium, &driver);
    browser.goto(&format!("{}/desktop", a.base_url()));
    browser.type_into("login-name", "alice.user");
    browser.type_into("login-password", PASSWORD);
    browser.click("login-button");
    browser.wait_text("status-state", "Not Ready");
    browser.wait_text("status-node", "Node 1");

    // Side A dies: the page logs in on side B, which it knows from the login result's node
    // list, with its resume token, and carries on from its index. (The failover banner shows
    // meanwhile; here it is usually gone before a poll could see it.)
    cluster.kill(1);
    browser.wait_text("status-node", "Node 2");
    assert_eq!(browser.script("return window.tandemDesktop.node()"), json!(2));
    browser.wait_displayed("offline-banner", false);
    let shot = browser.screenshot("failed-over");
    println!("screenshot: {}", shot.display());
    browser.click("btn-ready");
    browser.wait_text("status-state", "Ready");
    wait_for_state(&b, agent, "ready");
}

#[test]
fn a_supervisor_sees_the_team_and_sets_an_agents_state() {
    let (chromium, driver) = browser_tools();
    let (cluster, csq, agent) = center();
    let admin = cluster.client(1);
    let boss = created_id(&admin, "/api/v1/agents", json!({"login_name": "sam", "name": "Sam Supervisor"}));
    created_id(
        &admin,
        "/api/v1/users",
        json!({"login_name": "sam.user", "role": "supervisor", "agent": boss, "password": PASSWORD}),
    );
    let team = created_id(&admin, "/api/v1/teams", json!({"name": "Blue", "primary_supervisor": boss}));
    let reply = admin
        .send(
            tandem_tests::Method::PUT,
            &format!("/api/v1/agents/{agent}"),
            &tandem_tests::Body::Json(json!({"login_name": "alice", "name": "Alice Agent", "team": team,
                "skills": admin.get(&format!("/api/v1/agents/{agent}")).expect("alice").json["skills"]})),
            None,
        )
        .expect("an agent update");
    assert_eq!(reply.status, 200, "{}", reply.text);
    let login = admin
        .post(&format!("/api/v1/agents/{agent}/actions"), &json!({"action": "set_state", "state": "login"}))
        .expect("a login");
    assert!(login.status < 300, "{}", login.text);
    wait_for_state(&admin, agent, "not_ready");

    let browser = Browser::open(&chromium, &driver);
    browser.goto(&format!("{}/desktop", admin.base_url()));
    browser.type_into("login-name", "sam.user");
    browser.type_into("login-password", PASSWORD);
    browser.click("login-button");
    browser.wait_text("status-agent", &boss.to_string());
    browser.wait_displayed("supervisor-view", true);
    let row = format!("#team-rows tr[data-agent='{agent}']");
    let cell = |name: &str| {
        let script =
            format!("const c = document.querySelector(\"{row} .cell-{name}\"); return c ? c.textContent : null");
        browser.script(&script)
    };
    wait_until(STEP_TIMEOUT, "alice in the team grid, Not Ready", || match cell("state") {
        state if state == json!("Not Ready") => Ok(()),
        state => Err(state.to_string()),
    });
    assert_eq!(cell("name"), json!("Alice Agent"));
    // The cluster's statistics for the team's agents reach the grid.
    wait_until(STEP_TIMEOUT, "alice's logged-in time from the server", || match cell("logged-in") {
        time if time.as_str().is_some_and(|text| text.starts_with("00:")) => Ok(()),
        time => Err(time.to_string()),
    });
    assert_eq!(cell("handled"), json!("0"));

    // The supervisor makes the agent Ready from the grid; the grid follows the event.
    browser.click_css(&format!("{row} button[data-action='ready']"));
    wait_for_state(&admin, agent, "ready");
    wait_until(STEP_TIMEOUT, "alice Ready in the grid", || match cell("state") {
        state if state == json!("Ready") => Ok(()),
        state => Err(state.to_string()),
    });

    // Silent monitoring from the grid: the row shows it, the button becomes Stop Monitor.
    let monitor = format!("{row} button[data-monitor='toggle']");
    let monitor_text = || browser.script(&format!("return document.querySelector(\"{monitor}\").textContent"));
    browser.click_css(&monitor);
    wait_until(STEP_TIMEOUT, "monitoring alice", || match monitor_text() {
        text if text == json!("Stop Monitor") => Ok(()),
        text => Err(text.to_string()),
    });
    let monitored =
        browser.script(&format!("return document.querySelector(\"{row}\").classList.contains('monitored')"));
    assert_eq!(monitored, json!(true));
    browser.click_css(&monitor);
    wait_until(STEP_TIMEOUT, "monitoring stopped", || match monitor_text() {
        text if text == json!("Silent Monitor") => Ok(()),
        text => Err(text.to_string()),
    });

    // A team message from the supervisor's desktop: published for the team, shown as a banner.
    browser.type_into("team-message-text", "Queue is long: stay Ready");
    browser.click("team-message-send");
    wait_until(STEP_TIMEOUT, "the team message in the banner", || {
        let banner = browser.script("return document.getElementById('team-banner').textContent");
        if banner.as_str().is_some_and(|text| text.contains("Sam Supervisor: Queue is long: stay Ready")) {
            Ok(())
        } else {
            Err(banner.to_string())
        }
    });
    let messages = admin.get("/api/v1/team-messages").expect("the team messages");
    assert_eq!(messages.json[0]["teams"], json!([team]), "{}", messages.text);
    assert_eq!(messages.json[0]["sender"], json!(boss), "{}", messages.text);

    // Chat to the agent (TeamSupervisors, the default level, lets them talk).
    browser.script(&format!("const s = document.getElementById('chat-to'); s.value = '{agent}'; return s.value"));
    browser.type_into("chat-text", "Take the next call please");
    browser.click("chat-send");
    wait_until(STEP_TIMEOUT, "the chat message on the desk", || {
        let list = browser.script("return document.getElementById('chat-list').textContent");
        if list
            .as_str()
            .is_some_and(|text| text.contains("To Alice Agent") && text.contains("Take the next call please"))
        {
            Ok(())
        } else {
            Err(list.to_string())
        }
    });

    // Alice takes a call; the supervisor barges in, then intercepts: Alice leaves the call and
    // the supervisor stays with the caller.
    created_id(&admin, "/api/v1/dialed-numbers", json!({"number": "5000", "csq": csq}));
    let call = admin.post("/api/v1/calls", &json!({"dialed_number": "5000", "ani": "+15550111"})).expect("a call");
    assert_eq!(call.status, 201, "{}", call.text);
    let call = call.json["call"].as_u64().unwrap_or_else(|| panic!("no call in {}", call.text));
    wait_for_state(&admin, agent, "reserved");
    let answer = admin.post(&format!("/api/v1/agents/{agent}/actions"), &json!({"action": "answer_call"}));
    assert_eq!(answer.expect("alice answers").status, 200);
    wait_for_state(&admin, agent, "talking");
    let button = |action: &str| format!("{row} button[data-supervise='{action}']");
    wait_until(STEP_TIMEOUT, "Barge In enabled", || {
        let disabled = browser.script(&format!("return document.querySelector(\"{}\").disabled", button("barge_in")));
        if disabled == json!(false) {
            Ok(())
        } else {
            Err(disabled.to_string())
        }
    });
    browser.click_css(&button("barge_in"));
    wait_for_state(&admin, boss, "talking");
    wait_until(STEP_TIMEOUT, "the barged call on the supervisor's desk", || {
        let calls = browser.script("return document.getElementById('call-list').textContent");
        if calls.as_str().is_some_and(|text| text.contains(&format!("Call {call}")) && text.contains("Alice Agent")) {
            Ok(())
        } else {
            Err(calls.to_string())
        }
    });
    let shot = browser.screenshot("supervisor");
    println!("screenshot: {}", shot.display());
    browser.click_css(&button("intercept"));
    wait_until(STEP_TIMEOUT, "alice off the call", || {
        let found = admin.get(&format!("/api/v1/calls/{call}")).expect("the call");
        let parties: Vec<Value> =
            found.json["connections"].as_array().into_iter().flatten().map(|c| c["party"].clone()).collect();
        if parties == [json!({"external": "+15550111"}), json!({"agent": boss})] {
            Ok(())
        } else {
            Err(found.text)
        }
    });
}

/// `tandem run --demo-traffic` in an empty folder, killed on drop.
struct DemoNode {
    child: Child,
    _folder: tempfile::TempDir,
}

impl Drop for DemoNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long the demo may take from start to an offer at a Ready desktop.
const DEMO_OFFER_TIMEOUT: Duration = Duration::from_secs(30);

/// The first five minutes, as a new user has them: start the embedded default with demo
/// traffic in an empty folder, read a demo login and its password from what it printed, log in
/// to the web desktop, go Ready, and be offered a contact.
#[test]
fn a_new_user_runs_the_demo_and_is_offered_a_contact() {
    let (chromium, driver) = browser_tools();
    let folder = tempfile::tempdir().expect("an empty folder");
    let port = free_port();
    let stdout = folder.path().join("stdout.log");
    let child = Command::new(tandem_binary())
        .args(["run", "--listen", &format!("127.0.0.1:{port}"), "--demo-traffic"])
        .current_dir(folder.path())
        .stdout(Stdio::from(std::fs::File::create(&stdout).expect("a stdout file")))
        .stderr(Stdio::null())
        .spawn()
        .expect("tandem run");
    let node = DemoNode { child, _folder: folder };
    let printed = |prefix: &str| {
        let text = std::fs::read_to_string(&stdout).map_err(|e| e.to_string())?;
        let line = text.lines().find_map(|line| line.trim().strip_prefix(prefix).map(str::to_owned));
        line.ok_or_else(|| format!("no line starting {prefix:?} in:\n{text}"))
    };
    let logins = wait_until(STEP_TIMEOUT, "the demo logins in the banner", || printed("demo logins: "));
    let password = wait_until(STEP_TIMEOUT, "the demo password in the banner", || printed("demo password"));
    let password = password.rsplit(": ").next().unwrap_or_default().trim().to_owned();
    let desktop = wait_until(STEP_TIMEOUT, "the desktop's address in the banner", || printed("desktop:"));
    assert_eq!(desktop.trim(), format!("http://127.0.0.1:{port}/desktop"));
    // chen is an agent of the Sales team: the demo's calls are for it.
    assert!(logins.split(", ").any(|login| login == "chen"), "{logins}");

    let browser = Browser::open(&chromium, &driver);
    let started = Instant::now();
    browser.goto(desktop.trim());
    browser.wait_text("login-title", "CTI Login");
    browser.type_into("login-name", "chen");
    browser.type_into("login-password", &password);
    browser.click("login-button");
    browser.wait_displayed("desk-view", true);
    browser.wait_text("status-state", "Not Ready");
    browser.click("btn-ready");
    // Offered: a call rings at the desktop (Answer lights up), well within the demo's pace.
    wait_until(DEMO_OFFER_TIMEOUT, "a contact offered to chen", || match browser.enabled("btn-answer") {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("not yet, {:.0} s in", started.elapsed().as_secs_f64())),
        Err(error) => Err(error),
    });
    let shot = browser.screenshot("demo-offered");
    println!(
        "screenshot: {}; offered {:.1} s after opening the desktop",
        shot.display(),
        started.elapsed().as_secs_f64()
    );
    browser.click("btn-answer");
    browser.wait_text("status-state", "Talking");
    drop(node);
}

/// An administrator's desktop is the spec's settings screens: the channel parameters saved
/// through the form are the cluster's, a value out of the spec's range is refused with its
/// text, and a wrap-up category added there is listed and is the cluster's.
#[test]
fn an_administrator_sets_channel_parameters_and_wrap_up_reasons_in_the_browser() {
    let (chromium, driver) = browser_tools();
    let (cluster, _, _) = center();
    let admin = cluster.client(1);
    created_id(&admin, "/api/v1/users", json!({"login_name": "root", "role": "administrator", "password": PASSWORD}));
    let browser = Browser::open(&chromium, &driver);
    browser.goto(&format!("{}/desktop", admin.base_url()));
    browser.wait_text("login-title", "CTI Login");
    browser.type_into("login-name", "root");
    browser.type_into("login-password", PASSWORD);
    browser.click("login-button");
    browser.wait_displayed("admin-view", true);
    browser.wait_displayed("agent-panels", false);
    wait_until(STEP_TIMEOUT, "the channel parameters in the form", || {
        match browser.script("return document.getElementById('ch-max-chats').value") {
            value if value == json!("5") => Ok(()),
            value => Err(value.to_string()),
        }
    });

    browser.type_into("ch-max-chats", "2");
    browser.type_into("ch-join", "10");
    browser.click("channels-save");
    browser.wait_text("admin-message", "Channel parameters saved.");
    let channels = admin.get("/api/v1/settings/channels").expect("the channel parameters").json;
    assert_eq!(
        (channels["max_chat_sessions_per_agent"].clone(), channels["join_timeout_minutes"].clone()),
        (json!(2), json!(10))
    );

    browser.type_into("ch-max-chats", "6");
    browser.click("channels-save");
    browser.wait_text("admin-message", "max_chat_sessions_per_agent must be between 1 and 5 (got 6)");
    let unchanged = admin.get("/api/v1/settings/channels").expect("the channel parameters").json;
    assert_eq!(unchanged, channels, "a refusal changes nothing");

    browser.type_into("wu-name", "Outcome");
    browser.type_into("wu-reasons", "Sold\nCall back");
    browser.click("wrapup-add");
    browser.wait_text("admin-message", "Wrap-up category added.");
    wait_until(STEP_TIMEOUT, "the category in the list", || match browser.text("wrapup-list") {
        Ok(text) if text.contains("Outcome: Sold, Call back (Global)") => Ok(()),
        Ok(text) => Err(text),
        Err(error) => Err(error),
    });
    let categories = admin.list("wrap-up-categories").expect("the categories");
    assert_eq!(categories.len(), 1);
    assert_eq!(categories[0]["reasons"], json!(["Sold", "Call back"]));
    let shot = browser.screenshot("administration");
    println!("screenshot: {}", shot.display());
}

/// Issue 14's end to end, in the browser: a customer writes over SMTP (a real Postfix), the
/// node ingests it from a real Dovecot and routes it to alice, who is Ready for email in the
/// desktop; she opens it (HTML sanitised: the customer's script does not run), inserts a
/// predefined response, sends, and the reply reaches the customer's mailbox from the CSQ's
/// address, threaded, with her signature. Attachments on replies wait for the blob store.
#[test]
fn an_agent_answers_an_email_in_the_browser_desktop() {
    use tandem_tests::dovecot::Dovecot;
    use tandem_tests::postfix::Postfix;
    const ADDRESS: &str = "support@example.com";
    const CUSTOMER: &str = "ann@customer.example";
    let (chromium, driver) = browser_tools();
    let dovecot = Dovecot::start(&[(ADDRESS, "mailbox-password-5d2a"), (CUSTOMER, "customer-password-1")]);
    let postfix = Postfix::start(&dovecot, &[ADDRESS, CUSTOMER]);
    let mut cluster = Cluster::new(&[(1, "a")], RaftTuning::fast());
    dovecot.trusted_by(&mut cluster);
    cluster.start_all();
    let admin = cluster.client(1);
    let (skill, _csq) =
        tandem_tests::dovecot::mailbox_csq(&admin, &dovecot, postfix.submission_port, ADDRESS, "mailbox-password-5d2a");
    let agent = alice(&admin, skill);
    created_id(
        &admin,
        "/api/v1/email-signatures",
        json!({"name": "Support", "content": "Kind regards, {{agent_alias}}", "tags": "global"}),
    );
    created_id(
        &admin,
        "/api/v1/predefined-responses",
        json!({"title": "Shipping", "channel": "email", "body": "<p>Your order ships within 24 hours.</p>",
               "tags": "global"}),
    );

    let browser = Browser::open(&chromium, &driver);
    browser.goto(admin.base_url());
    browser.wait_text("login-title", "CTI Login");
    browser.type_into("login-name", "alice");
    browser.type_into("login-password", PASSWORD);
    browser.click("login-button");
    browser.wait_displayed("desk-view", true);
    browser.wait_text("status-state", "Not Ready");
    browser.click("btn-digital-ready");
    wait_until(STEP_TIMEOUT, "alice Ready for email (REST)", || {
        let status = agent_status(&admin, agent);
        if status["digital"] == "ready" {
            Ok(())
        } else {
            Err(status.to_string())
        }
    });

    // The customer's email: HTML with a script and an event handler that must never run.
    let sent = postfix.send(
        CUSTOMER,
        &[ADDRESS],
        &format!(
            "From: Ann <{CUSTOMER}>\nTo: {ADDRESS}\nSubject: Where is my order?\nMessage-ID: <q1@customer.example>\n\
             MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n\
             <p>Order 77 has not arrived.</p><script>window.parent.pwned = 1</script>\
             <img src=x onerror=\"window.parent.pwned = 2\">\n"
        ),
    );
    assert!(sent.starts_with("250"), "{sent}");
    wait_until(Duration::from_secs(30), "the email in alice's desktop", || match browser.text("email-pending") {
        Ok(text) if text.trim() == "1" => Ok(()),
        Ok(text) => Err(format!("{text} emails\n{}", postfix.log())),
        Err(error) => Err(error),
    });
    browser.click_css("#email-list button");
    browser.wait_displayed("email-open", true);
    browser.wait_text("email-subject", "Where is my order?");
    let srcdoc = browser.script("return document.getElementById('email-body').srcdoc");
    let srcdoc = srcdoc.as_str().unwrap_or_default();
    assert!(srcdoc.contains("Order 77 has not arrived."), "{srcdoc}");
    assert!(!srcdoc.contains("script") && !srcdoc.contains("onerror"), "sanitised: {srcdoc}");
    assert_eq!(browser.script("return window.pwned === undefined"), json!(true), "no script ran");
    assert_eq!(
        browser.script("return document.getElementById('reply-to').value"),
        json!(CUSTOMER),
        "the reply goes to the customer"
    );

    // A line of her own, then the predefined response at the end; send.
    browser.type_into("reply-body", "Thank you for writing, Ann.");
    // Saved in the cluster: the draft survives this desktop.
    let contact = browser.script("return Number(document.querySelector('#email-list button').dataset.contact)");
    browser.click("reply-save");
    wait_until(STEP_TIMEOUT, "the draft in the cluster", || {
        let view = admin.get(&format!("/api/v1/contacts/{contact}/email")).map_err(|e| e.to_string())?;
        if view.json["draft"]["reply"]["body"] == "Thank you for writing, Ann." {
            Ok(())
        } else {
            Err(view.text.chars().take(300).collect::<String>())
        }
    });
    browser.click("reply-insert");
    let body = browser.script("return document.getElementById('reply-body').value");
    assert_eq!(body, json!("Thank you for writing, Ann.\n\nYour order ships within 24 hours."));
    let shot = browser.screenshot("email-reply");
    println!("screenshot: {}", shot.display());
    browser.click("reply-send");
    wait_until(STEP_TIMEOUT, "the email leaves alice's desktop", || match browser.text("email-pending") {
        Ok(text) if text.trim() == "0" => Ok(()),
        Ok(text) => Err(format!("{text} emails")),
        Err(error) => Err(error),
    });
    let received = wait_until(Duration::from_secs(30), "the reply in Ann's mailbox", || {
        match dovecot.messages(CUSTOMER, "").as_slice() {
            [one] => Ok(one.clone()),
            other => Err(format!("{} messages\n{}", other.len(), postfix.log())),
        }
    });
    let header = |name: &str| {
        received.lines().take_while(|line| !line.is_empty()).find_map(|line| line.strip_prefix(&format!("{name}: ")))
    };
    assert_eq!(header("From"), Some(ADDRESS), "{received}");
    assert_eq!(header("To"), Some(CUSTOMER), "{received}");
    assert_eq!(header("Subject"), Some("Re: Where is my order?"), "{received}");
    assert_eq!(header("In-Reply-To"), Some("<q1@customer.example>"), "{received}");
    assert_eq!(header("References"), Some("<q1@customer.example>"), "{received}");
    assert!(header("Message-ID").is_some_and(|id| id.starts_with("<tandem.")), "{received}");
    for line in ["Thank you for writing, Ann.", "Your order ships within 24 hours.", "Kind regards, alice"] {
        assert!(received.contains(line), "{line:?} in {received}");
    }
}
