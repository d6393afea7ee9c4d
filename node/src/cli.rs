//! `tandem cluster ...`: operator commands that talk to a node's REST API.
//!
//! Membership changes can be sent to any node (followers forward them to the leader).
//! `status` asks the given node for the membership, then asks every member for its own view,
//! so a dead member shows as unreachable instead of hiding.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

use crate::http::cluster::LocalStatus;

#[derive(Debug, clap::Args)]
pub struct Target {
    /// Base URL of any node's API.
    #[arg(long, env = "TANDEM_NODE", default_value = "http://127.0.0.1:8080")]
    pub node: String,
    /// The admin bearer token.
    #[arg(long, env = "TANDEM_TOKEN", conflicts_with = "token_file")]
    pub token: Option<String>,
    /// A file holding the admin bearer token (default ./tandem-data/admin-token).
    #[arg(long, env = "TANDEM_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Trust this CA (PEM) for an HTTPS API.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Accept any certificate from an HTTPS API (for the generated development certificate).
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum ClusterCommand {
    /// Every member with its side, role, last log index, applied index and health.
    Status {
        #[command(flatten)]
        target: Target,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Add a node as a learner; it catches up from the leader's log or snapshot.
    AddNode {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        id: u64,
        /// a, b or witness.
        #[arg(long)]
        side: String,
        /// host:port of the new node's node-to-node listener.
        #[arg(long)]
        raft_addr: String,
        /// Base URL of the new node's API.
        #[arg(long)]
        api_url: String,
    },
    /// Make a learner a voter.
    Promote {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        id: u64,
    },
    /// Remove a voter or learner from the cluster.
    RemoveNode {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        id: u64,
    },
    /// On a survivor of a two-node cluster: make it the only voter so it takes writes again.
    /// Run it only when the other node is really gone; wipe that node before it rejoins.
    ForceSingle {
        #[command(flatten)]
        target: Target,
    },
}

/// An authenticated REST client for the operator commands.
pub(crate) struct Client {
    pub(crate) http: reqwest::Client,
    token: String,
}

impl Client {
    pub(crate) fn new(target: &Target) -> anyhow::Result<Client> {
        let token = match (&target.token, &target.token_file) {
            (Some(token), _) => token.clone(),
            (None, file) => {
                let path = file.clone().unwrap_or_else(|| PathBuf::from("tandem-data/admin-token"));
                std::fs::read_to_string(&path)
                    .with_context(|| format!("reading the admin token from {} (or pass --token)", path.display()))?
                    .trim()
                    .to_string()
            }
        };
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(15));
        if let Some(ca) = &target.ca {
            let pem = std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?;
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
        }
        if target.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        Ok(Client { http: builder.build()?, token })
    }

    /// The admin bearer token it sends.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request.bearer_auth(&self.token).send().await?;
        let status = response.status();
        let text = response.text().await?;
        let body: Value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        if !status.is_success() {
            let message =
                body.get("message").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| body.to_string());
            anyhow::bail!("{status}: {message}");
        }
        Ok(body)
    }
}

pub fn cluster(command: ClusterCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(cluster_async(command))
}

async fn cluster_async(command: ClusterCommand) -> anyhow::Result<()> {
    match command {
        ClusterCommand::Status { target, json } => status(&target, json).await,
        ClusterCommand::AddNode { target, id, side, raft_addr, api_url } => {
            let client = Client::new(&target)?;
            let side: tandem_raft::Side = side.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let body = serde_json::json!({ "node_id": id, "side": side, "raft_addr": raft_addr, "api_url": api_url });
            client.send(client.http.post(format!("{}/api/v1/cluster/nodes", target.node)).json(&body)).await?;
            println!(
                "node {id} added as a learner; it catches up from the leader. Then: tandem cluster promote --id {id}"
            );
            Ok(())
        }
        ClusterCommand::Promote { target, id } => {
            let client = Client::new(&target)?;
            client.send(client.http.post(format!("{}/api/v1/cluster/nodes/{id}/promote", target.node))).await?;
            println!("node {id} is a voter");
            Ok(())
        }
        ClusterCommand::RemoveNode { target, id } => {
            let client = Client::new(&target)?;
            client.send(client.http.delete(format!("{}/api/v1/cluster/nodes/{id}", target.node))).await?;
            println!("node {id} removed");
            Ok(())
        }
        ClusterCommand::ForceSingle { target } => {
            let client = Client::new(&target)?;
            let body = client.send(client.http.post(format!("{}/api/v1/cluster/force-single", target.node))).await?;
            println!("{}", body.get("note").and_then(Value::as_str).unwrap_or("done"));
            Ok(())
        }
    }
}

/// One row of `tandem cluster status`.
#[derive(Debug, serde::Serialize)]
struct MemberRow {
    node_id: u64,
    side: String,
    role: String,
    api_url: String,
    last_log_index: Option<u64>,
    applied_index: Option<u64>,
    health: String,
}

async fn status(target: &Target, json: bool) -> anyhow::Result<()> {
    let client = Client::new(target)?;
    let view: LocalStatus =
        serde_json::from_value(client.send(client.http.get(format!("{}/api/v1/cluster/status", target.node))).await?)?;
    let mut rows = Vec::new();
    for (node_id, member) in &view.members {
        let url = format!("{}/api/v1/cluster/status", member.api_url);
        let request = client.http.get(url).timeout(Duration::from_secs(2));
        let own: Option<LocalStatus> = match client.send(request).await {
            Ok(value) => serde_json::from_value(value).ok(),
            Err(_) => None,
        };
        let voter = view.voters.contains(node_id);
        let role = match &own {
            Some(own) if own.role == "leader" => "leader".to_string(),
            Some(own) if own.role == "learner" || !voter => "learner".to_string(),
            Some(own) => own.role.clone(),
            None if voter => "voter".to_string(),
            None => "learner".to_string(),
        };
        rows.push(MemberRow {
            node_id: *node_id,
            side: member.side.to_string(),
            role,
            api_url: member.api_url.clone(),
            last_log_index: own.as_ref().and_then(|s| s.last_log_index),
            applied_index: own.as_ref().and_then(|s| s.applied_index),
            health: if own.is_some() { "up".into() } else { "unreachable".into() },
        });
    }
    if json {
        let out = serde_json::json!({ "leader_id": view.leader_id, "term": view.term, "members": rows });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("term {}  leader {}", view.term, view.leader_id.map(|id| id.to_string()).unwrap_or_else(|| "none".into()));
    println!("NODE   SIDE     ROLE       LAST LOG   APPLIED  HEALTH       API");
    for row in rows {
        let index = |i: Option<u64>| i.map(|i| i.to_string()).unwrap_or_else(|| "-".into());
        println!(
            "{:<6} {:<8} {:<9} {:>9} {:>9}  {:<12} {}",
            row.node_id,
            row.side,
            row.role,
            index(row.last_log_index),
            index(row.applied_index),
            row.health,
            row.api_url
        );
    }
    Ok(())
}
