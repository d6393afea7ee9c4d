//! Health, readiness and cluster membership endpoints.
//!
//! `status` describes this node as it sees itself and the membership and,
//! on the leader, how far each member has replicated; `tandem cluster status` asks every member. Membership changes are forwarded to the
//! leader by the replica; `force-single` acts on this node only, by design.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use openraft::ServerState;
use serde::{Deserialize, Serialize};
use tandem_raft::{Member, NodeId, Side};

use super::{authorize, refuse_unless_serving, ApiError, AppState};

/// This node's own view, as `GET /api/v1/cluster/local` returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalStatus {
    pub node_id: NodeId,
    pub side: Side,
    /// leader, follower, candidate, learner or shutdown.
    pub role: String,
    pub term: u64,
    pub leader_id: Option<NodeId>,
    pub last_log_index: Option<u64>,
    pub applied_index: Option<u64>,
    pub snapshot_index: Option<u64>,
    pub purged_index: Option<u64>,
    pub voters: Vec<NodeId>,
    pub learners: Vec<NodeId>,
    pub members: BTreeMap<NodeId, Member>,
    /// On the leader: the last log index each member is known to hold.
    pub replication: Option<BTreeMap<NodeId, Option<u64>>>,
}

pub fn role_name(state: ServerState) -> &'static str {
    match state {
        ServerState::Leader => "leader",
        ServerState::Follower => "follower",
        ServerState::Candidate => "candidate",
        ServerState::Learner => "learner",
        ServerState::Shutdown => "shutdown",
    }
}

pub fn local_status(state: &AppState) -> LocalStatus {
    let raft = state.replica.raft();
    let metrics = raft.metrics().borrow().clone();
    let membership = metrics.membership_config.membership();
    LocalStatus {
        node_id: state.config.node_id,
        side: state.config.side,
        role: role_name(metrics.state).to_string(),
        term: metrics.current_term,
        leader_id: metrics.current_leader,
        last_log_index: metrics.last_log_index,
        applied_index: metrics.last_applied.map(|id| id.index),
        snapshot_index: metrics.snapshot.map(|id| id.index),
        purged_index: metrics.purged.map(|id| id.index),
        voters: membership.voter_ids().collect(),
        learners: membership.learner_ids().collect(),
        members: membership.nodes().map(|(id, member)| (*id, member.clone())).collect(),
        replication: metrics
            .replication
            .as_ref()
            .map(|map| map.iter().map(|(id, log_id)| (*id, log_id.map(|l| l.index))).collect()),
    }
}

/// Alive unless the node stepped aside (its Raft stopped): a supervisor that restarts on a
/// failed liveness check then restarts it.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.serving() {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok\n"),
        Err(error) => error.response(),
    }
}

/// Ready for clients when this node serves them (not a witness, not stepped aside), knows a
/// leader and has applied something: it can serve reads and forward writes.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if let Err(error) = refuse_unless_serving(&state) {
        return error.response();
    }
    let status = local_status(&state);
    if status.leader_id.is_some() && status.applied_index.is_some() {
        HttpResponse::Ok().content_type("text/plain").body(format!("ready: leader {:?}\n", status.leader_id))
    } else {
        HttpResponse::ServiceUnavailable().content_type("text/plain").body("not ready: no known leader\n")
    }
}

async fn local(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    authorize(&state, &request)?;
    Ok(HttpResponse::Ok().json(local_status(&state)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddNode {
    pub node_id: NodeId,
    pub side: Side,
    pub raft_addr: String,
    pub api_url: String,
}

async fn add_node(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<AddNode>,
) -> Result<HttpResponse, ApiError> {
    authorize(&state, &request)?;
    let body = body.into_inner();
    if body.raft_addr.trim().is_empty() || body.api_url.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "raft_addr and api_url are required.",
        ));
    }
    let members = local_status(&state).members;
    if members.contains_key(&body.node_id) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "membership_refused",
            format!("Node {} is already a member.", body.node_id),
        ));
    }
    let member = Member { side: body.side, raft_addr: body.raft_addr, api_url: body.api_url };
    state.replica.add_learner(body.node_id, member).await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "node_id": body.node_id, "role": "learner" })))
}

async fn promote(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&state, &request)?;
    let node_id = id.into_inner();
    state.replica.promote(node_id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "node_id": node_id, "role": "voter" })))
}

async fn remove_node(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&state, &request)?;
    let node_id = id.into_inner();
    if !local_status(&state).members.contains_key(&node_id) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("Node {node_id} is not a member.")));
    }
    state.replica.remove(node_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn force_single(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    authorize(&state, &request)?;
    let status = local_status(&state);
    if status.role == "leader" && status.voters == vec![state.config.node_id] {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "membership_refused",
            "This node is already the only voter and the leader.",
        ));
    }
    tracing::warn!(node_id = state.config.node_id, "operator forced this node to be the only voter");
    state.replica.force_single().await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "node_id": state.config.node_id,
        "voters": [state.config.node_id],
        "note": "This node is now the only voter. Wipe the data of any removed node before it rejoins."
    })))
}

pub fn routes(scope: Scope) -> Scope {
    scope
        .route("/cluster/status", web::get().to(local))
        .route("/cluster/nodes", web::post().to(add_node))
        .route("/cluster/nodes/{id}/promote", web::post().to(promote))
        .route("/cluster/nodes/{id}", web::delete().to(remove_node))
        .route("/cluster/force-single", web::post().to(force_single))
}
