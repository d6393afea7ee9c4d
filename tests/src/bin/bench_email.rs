//! The email channel against real mail servers (issue 14's targets): how long new mail takes
//! to reach an agent, how fast a mailbox is ingested, and how much the Raft log grows per email.
//!
//! Three nodes on loopback (A, B, witness), a Dovecot (IMAPS with IDLE) and a Postfix
//! delivering into it, all started here. Then:
//! 1. Latency: emails sent over SMTP through Postfix, one every `--interval-ms`; each is timed
//!    from Postfix's `250` after DATA to the `ContactAccepted` event on the administrator's event
//!    stream (agents Ready for email auto-accept). The whole path: Postfix's queue and delivery,
//!    Dovecot's IDLE wake-up, the fetch, the ingest through Raft, routing.
//! 2. Throughput: `--messages` messages dropped into the maildir at once (a delivery agent's
//!    way: Postfix would be the bottleneck, not Tandem) while no agent takes email; timed until
//!    the mailbox's ingest count reaches them all. Twice: small messages, and messages with a
//!    `--large-kib` attachment. The leader's `tandem_raft_log_appended_bytes_total` before and
//!    after gives the log's growth per email.
//!
//! Prints the figures and writes `bench/results/email.json`. Run with `bench/email`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tandem_tests::bench::{options_or_exit, percentile, write_result};
use tandem_tests::dovecot::{mailbox_csq, Dovecot};
use tandem_tests::postfix::Postfix;
use tandem_tests::{created_id, wait_until, ApiClient, Cluster, EventStream, RaftTuning};

const ADDRESS: &str = "support@example.com";
const PASSWORD: &str = "bench mailbox password";
const CUSTOMER: &str = "customer@customer.example";

struct Options {
    latency_emails: usize,
    interval_ms: u64,
    messages: usize,
    large_kib: usize,
    /// How latency emails arrive: `smtp` (through Postfix) or `maildir` (written straight into
    /// the inbox, leaving Postfix's share out).
    deliver: String,
    out: String,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        latency_emails: 200,
        interval_ms: 100,
        messages: 2_000,
        large_kib: 1_024,
        deliver: "smtp".into(),
        out: "bench/results/email.json".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--latency-emails" => options.latency_emails = value()?.parse().map_err(|e| format!("{arg}: {e}"))?,
            "--interval-ms" => options.interval_ms = value()?.parse().map_err(|e| format!("{arg}: {e}"))?,
            "--messages" => options.messages = value()?.parse().map_err(|e| format!("{arg}: {e}"))?,
            "--large-kib" => options.large_kib = value()?.parse().map_err(|e| format!("{arg}: {e}"))?,
            "--deliver" => options.deliver = value()?,
            "--out" => options.out = value()?,
            "--help" | "-h" => {
                return Err("usage: bench-email [--latency-emails 200] [--interval-ms 100] [--messages 2000] \
                            [--large-kib 1024] [--deliver smtp|maildir] [--out bench/results/email.json]"
                    .into())
            }
            other => return Err(format!("unknown argument {other}; see --help")),
        }
    }
    if !["smtp", "maildir"].contains(&options.deliver.as_str()) {
        return Err("--deliver is smtp or maildir".into());
    }
    if options.latency_emails == 0 || options.messages == 0 {
        return Err("--latency-emails and --messages must be at least 1".into());
    }
    Ok(options)
}

fn act(client: &ApiClient, agent: u64, action: Value) {
    let reply = client.post(&format!("/api/v1/agents/{agent}/actions"), &action).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reply.status, 200, "{action}: {}", reply.text);
}

fn log_bytes(client: &ApiClient) -> u64 {
    let metrics = client.get("/metrics").expect("metrics");
    metrics
        .text
        .lines()
        .find_map(|line| line.strip_prefix("tandem_raft_log_appended_bytes_total "))
        .and_then(|value| value.trim().parse().ok())
        .expect("tandem_raft_log_appended_bytes_total in /metrics")
}

fn ingested(client: &ApiClient, csq: u64) -> u64 {
    let view = client.get(&format!("/api/v1/csqs/{csq}/mailbox/ingest")).expect("the ingest");
    view.json["ingested"].as_u64().unwrap_or(0)
}

fn message(n: usize, subject: &str, attachment_kib: usize) -> String {
    let mut text = format!(
        "From: Customer {n} <{CUSTOMER}>\nTo: {ADDRESS}\nSubject: {subject}\nMessage-ID: <bench-{subject}-{n}@customer.example>\n\
         Date: Tue, 14 Nov 2023 22:13:20 +0000\nMIME-Version: 1.0\n"
    );
    if attachment_kib == 0 {
        text.push_str("Content-Type: text/plain; charset=utf-8\n\nWhere is my order?\n");
        return text;
    }
    text.push_str(
        "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nSee attached.\n--b\n",
    );
    text.push_str("Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"data.bin\"\n");
    text.push_str("Content-Transfer-Encoding: base64\n\n");
    let line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n";
    let lines = attachment_kib * 1024 / 57;
    for _ in 0..lines {
        text.push_str(line);
    }
    text.push_str("--b--\n");
    text
}

/// Drops `count` messages into the inbox at once and times their ingest; returns (seconds,
/// log bytes per email, the message size).
fn throughput(
    dovecot: &Dovecot,
    leader: &ApiClient,
    admin: &ApiClient,
    csq: u64,
    count: usize,
    subject: &str,
    attachment_kib: usize,
) -> (f64, f64, usize) {
    let before = ingested(admin, csq);
    let bytes_before = log_bytes(leader);
    let size = message(0, subject, attachment_kib).len();
    let started = Instant::now();
    for n in 0..count {
        dovecot.deliver(ADDRESS, &message(n, subject, attachment_kib));
    }
    let wanted = before + count as u64;
    wait_until(Duration::from_secs(600), &format!("{count} {subject} messages ingested"), || {
        let now = ingested(admin, csq);
        if now >= wanted {
            Ok(())
        } else {
            std::thread::sleep(Duration::from_millis(100));
            Err(format!("{} of {count}", now - before))
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let grown = log_bytes(leader).saturating_sub(bytes_before);
    (seconds, grown as f64 / count as f64, size)
}

fn main() {
    let options = options_or_exit(parse_options);
    let dovecot = Dovecot::start(&[(ADDRESS, PASSWORD), (CUSTOMER, "customer password")]);
    let postfix = Postfix::start(&dovecot, &[ADDRESS, CUSTOMER]);
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    dovecot.trusted_by(&mut cluster);
    let leader_id = cluster.start_all();
    let admin = cluster.client(if leader_id == 3 { 1 } else { leader_id });
    let leader = cluster.client(leader_id);
    let (skill, csq) = mailbox_csq(&admin, &dovecot, postfix.submission_port, ADDRESS, PASSWORD);
    let agents: Vec<u64> = (0..10)
        .map(|n| {
            created_id(
                &admin,
                "/api/v1/agents",
                json!({"login_name": format!("agent{n}"), "name": format!("Agent {n}"),
                       "skills": [{"skill": skill, "competence": 5}]}),
            )
        })
        .collect();
    for &agent in &agents {
        act(&admin, agent, json!({"action": "set_state", "state": "login"}));
        act(&admin, agent, json!({"action": "set_digital_state", "state": "ready"}));
    }

    // 1. Latency, SMTP to offer.
    println!("latency: {} emails ({}), one every {} ms", options.latency_emails, options.deliver, options.interval_ms);
    let mut stream = EventStream::connect(admin.base_url(), "/api/v1/events", cluster.token()).expect("the stream");
    let mut sent_at: BTreeMap<String, Instant> = BTreeMap::new();
    let mut contact_subject: BTreeMap<u64, String> = BTreeMap::new();
    let mut latencies_ms: Vec<f64> = Vec::new();
    let mut ingest_ms: Vec<f64> = Vec::new();
    let mut next_send = Instant::now();
    let mut sent = 0;
    let deadline = Instant::now()
        + Duration::from_secs(60)
        + Duration::from_millis(options.interval_ms) * options.latency_emails as u32;
    while latencies_ms.len() < options.latency_emails {
        assert!(
            Instant::now() < deadline,
            "only {} of {} emails offered in time",
            latencies_ms.len(),
            options.latency_emails
        );
        if sent < options.latency_emails && Instant::now() >= next_send {
            let subject = format!("Latency {sent}");
            if options.deliver == "smtp" {
                let reply = postfix.send(CUSTOMER, &[ADDRESS], &message(sent, &subject, 0));
                assert!(reply.starts_with("250"), "{reply}");
            } else {
                dovecot.deliver(ADDRESS, &message(sent, &subject, 0));
            }
            sent_at.insert(subject, Instant::now());
            sent += 1;
            next_send += Duration::from_millis(options.interval_ms);
        }
        let Some(frame) = stream.next_frame().expect("the stream") else { continue };
        let event = &frame["event"];
        if let Some(contact) = event.get("ContactInjected") {
            if let (Some(id), Some(subject)) = (contact["id"].as_u64(), contact["subject"].as_str()) {
                contact_subject.insert(id, subject.to_owned());
                if let Some(at) = sent_at.get(subject) {
                    ingest_ms.push(at.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
        if let Some(accepted) = event.get("ContactAccepted") {
            let (Some(id), Some(agent)) = (accepted["contact"].as_u64(), accepted["agent"].as_u64()) else { continue };
            let Some(at) = contact_subject.get(&id).and_then(|subject| sent_at.get(subject)) else { continue };
            latencies_ms.push(at.elapsed().as_secs_f64() * 1000.0);
            // The agent is done with it: capacity for the next.
            act(&admin, agent, json!({"action": "send_email", "contact": id}));
        }
    }
    latencies_ms.sort_by(f64::total_cmp);
    let (p50, p99, max) =
        (percentile(&latencies_ms, 0.50), percentile(&latencies_ms, 0.99), latencies_ms.last().copied().unwrap_or(0.0));
    let min = latencies_ms.first().copied().unwrap_or(0.0);
    println!(
        "  delivery to agent offer: min {min:.0} ms, p50 {p50:.0} ms, p99 {p99:.0} ms, max {max:.0} ms (target p99 <= 2000 ms)"
    );
    ingest_ms.sort_by(f64::total_cmp);
    let (ingest_p50, ingest_p99) = (percentile(&ingest_ms, 0.50), percentile(&ingest_ms, 0.99));
    println!("  of which delivery to ingested (ContactInjected): p50 {ingest_p50:.0} ms, p99 {ingest_p99:.0} ms");

    // 2. Throughput and log growth, no agent taking email.
    for &agent in &agents {
        act(&admin, agent, json!({"action": "set_digital_state", "state": "not_ready"}));
    }
    println!("throughput: {} messages dropped into the inbox at once", options.messages);
    let (small_seconds, small_bytes, small_size) =
        throughput(&dovecot, &leader, &admin, csq, options.messages, "Small", 0);
    let small_rate = options.messages as f64 / small_seconds;
    println!(
        "  {small_size}-byte messages: {small_rate:.0} emails/s ({small_seconds:.1} s), log +{small_bytes:.0} bytes/email"
    );
    let large_count = (options.messages / 10).max(1);
    let (large_seconds, large_bytes, large_size) =
        throughput(&dovecot, &leader, &admin, csq, large_count, "Large", options.large_kib);
    let large_rate = large_count as f64 / large_seconds;
    println!(
        "  {large_size}-byte messages: {large_rate:.0} emails/s ({large_seconds:.1} s), log +{large_bytes:.0} bytes/email"
    );
    println!("  targets: >= 200 emails/s; < 2048 log bytes per email whatever its size");

    write_result(
        &options.out,
        &json!({
            "benchmark": "email",
            "cluster": "3 nodes on loopback (A, B, witness), fast Raft tuning; Dovecot IMAPS with IDLE; Postfix",
            "latency": {
                "emails": options.latency_emails,
                "interval_ms": options.interval_ms,
                "delivered": options.deliver,
                "what": "Postfix's 250 after DATA (or the file's rename into the maildir) to ContactAccepted on the event stream",
                "min_ms": min, "p50_ms": p50, "p99_ms": p99, "max_ms": max,
                "to_ingested_p50_ms": ingest_p50, "to_ingested_p99_ms": ingest_p99,
                "target_p99_ms": 2000,
            },
            "throughput": [
                {"messages": options.messages, "message_bytes": small_size, "seconds": small_seconds,
                 "emails_per_second": small_rate, "log_bytes_per_email": small_bytes},
                {"messages": large_count, "message_bytes": large_size, "seconds": large_seconds,
                 "emails_per_second": large_rate, "log_bytes_per_email": large_bytes},
            ],
            "targets": {"emails_per_second": 200, "log_bytes_per_email_max": 2048},
        }),
    );
    println!("wrote {}", options.out);
}
