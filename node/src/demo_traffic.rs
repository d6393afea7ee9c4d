//! `tandem run --demo-traffic`: customers for the demo center, so whoever opens a desktop sees
//! contacts arrive, queues fill and statistics move without writing a script.
//!
//! Callers dial the demo's number and behave as `tandem call`'s do (the same caller: wait up to
//! two minutes for an agent, talk 20 to 60 seconds, hang up); chat customers wait up to three
//! minutes for an agent, type now and then for a minute or two and leave; email senders write
//! and are done. They arrive one every few seconds in turn, through the node's REST API with
//! the admin token, as the trunk side and the chat and email fronts do: nothing here decides
//! anything, the center routes every contact. At most [`WAITING_PER_QUEUE_MAX`] wait in a
//! queue at once, so an unattended demo stays small.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::call::{caller, watch};
use crate::cli::{Client, Target};

/// The demo's CSQs (`tandem_domain::demo_commands`): voice through the dialed number, then chat
/// and email.
const CHAT_CSQ: u64 = 2;
const EMAIL_CSQ: u64 = 3;
/// A customer arrives every this many seconds on average (one channel after the other).
const ARRIVAL_MEAN_SECONDS: f64 = 6.0;
/// Contacts waiting in one queue beyond which no one new arrives in it.
const WAITING_PER_QUEUE_MAX: usize = 4;
const CALLER_PATIENCE: Duration = Duration::from_secs(120);
const CHAT_PATIENCE: Duration = Duration::from_secs(180);
/// How often a waiting or chatting customer looks at its contact.
const LOOK_INTERVAL: Duration = Duration::from_millis(500);
const EMAIL_SUBJECTS: [&str; 5] = ["Invoice question", "Password reset", "Order 1234", "Refund", "Delivery late"];

/// Plays customers against the node at `target` until the process ends.
pub async fn play(target: Target) {
    let client = match Client::new(&target) {
        Ok(client) => Arc::new(client),
        Err(error) => {
            tracing::warn!(%error, "demo traffic cannot reach the node");
            return;
        }
    };
    let watched = watch(&target).await;
    let mut n: u64 = 0;
    loop {
        let pause = {
            let mut rng = rand::thread_rng();
            // Exponential gaps around the mean, at least half a second.
            let draw: f64 = rng.gen_range(f64::EPSILON..1.0);
            (-draw.ln() * ARRIVAL_MEAN_SECONDS).clamp(0.5, 6.0 * ARRIVAL_MEAN_SECONDS)
        };
        tokio::time::sleep(Duration::from_secs_f64(pause)).await;
        n += 1;
        let (client, node, watched) = (client.clone(), target.node.clone(), watched.clone());
        match n % 3 {
            1 if waiting(&client, &node, 1).await < WAITING_PER_QUEUE_MAX => {
                let talk = Duration::from_secs(rand::thread_rng().gen_range(20..=60));
                let ani = format!("+1555{:07}", n);
                tokio::spawn(async move {
                    let dialed = tandem_domain::DEMO_DIALED_NUMBER;
                    caller(&client, watched.as_ref(), &node, dialed, &ani, talk, CALLER_PATIENCE).await
                });
            }
            2 if waiting(&client, &node, CHAT_CSQ).await < WAITING_PER_QUEUE_MAX => {
                tokio::spawn(async move { chat_customer(&client, &node, n).await });
            }
            0 if waiting(&client, &node, EMAIL_CSQ).await < WAITING_PER_QUEUE_MAX => {
                let subject = EMAIL_SUBJECTS[(n as usize / 3) % EMAIL_SUBJECTS.len()];
                let body = json!({"channel": "email", "csq": EMAIL_CSQ, "customer_name": format!("Customer {n}"),
                    "customer_address": format!("customer{n}@example.com"), "subject": subject});
                if let Err(error) = client.send(client.http.post(format!("{node}/api/v1/contacts")).json(&body)).await {
                    tracing::debug!(%error, "a demo email was not accepted");
                }
            }
            _ => {}
        }
    }
}

/// How many contacts wait in `csq` (queued, not yet offered); unknown counts as full.
async fn waiting(client: &Client, node: &str, csq: u64) -> usize {
    match client.send(client.http.get(format!("{node}/api/v1/csqs/{csq}/queue"))).await {
        Ok(Value::Array(contacts)) => contacts.len(),
        _ => WAITING_PER_QUEUE_MAX,
    }
}

/// A chat customer: waits for an agent, types now and then while they talk, then leaves.
async fn chat_customer(client: &Client, node: &str, n: u64) {
    let body = json!({"channel": "chat", "csq": CHAT_CSQ, "customer_name": format!("Customer {n}")});
    let answer = match client.send(client.http.post(format!("{node}/api/v1/contacts")).json(&body)).await {
        Ok(answer) => answer,
        Err(error) => {
            tracing::debug!(%error, "a demo chat was not accepted");
            return;
        }
    };
    let Some(contact) = answer["contact"].as_u64() else { return };
    let url = format!("{node}/api/v1/contacts/{contact}");
    let arrived = Instant::now();
    let mut joined: Option<(Instant, Duration)> = None;
    let mut typed = Instant::now();
    loop {
        tokio::time::sleep(LOOK_INTERVAL).await;
        let Ok(found) = client.send(client.http.get(&url)).await else { return };
        let state = found["state"].as_object().and_then(|state| state.keys().next().cloned()).unwrap_or_default();
        let state = if state.is_empty() { found["state"].as_str().unwrap_or_default().to_owned() } else { state };
        match (state.as_str(), joined) {
            ("closed" | "ended", _) => return,
            ("active", None) => {
                joined = Some((Instant::now(), Duration::from_secs(rand::thread_rng().gen_range(60..=120))))
            }
            ("active", Some((at, stay))) if at.elapsed() >= stay => break,
            ("active", Some(_)) if typed.elapsed() >= Duration::from_secs(20) => {
                typed = Instant::now();
                let activity = json!({"action": "customer_activity"});
                let _ = client.send(client.http.post(format!("{url}/actions")).json(&activity)).await;
            }
            (_, None) if arrived.elapsed() >= CHAT_PATIENCE => break,
            _ => {}
        }
    }
    let left = json!({"action": "customer_left"});
    // A refusal means the chat ended meanwhile; the customer is gone either way.
    let _ = client.send(client.http.post(format!("{url}/actions")).json(&left)).await;
}
