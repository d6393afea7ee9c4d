//! Inbound Raft RPC: decode a request body, hand it to the local Raft, encode the reply.
//!
//! Framework-free on purpose: the node's HTTPS server and the simulator's network both call
//! [`handle`], so the bytes a node accepts are the same in production and in simulation.

use crate::network::{PATH_APPEND, PATH_SNAPSHOT, PATH_VOTE};
use crate::wire::{self, WireError};
use crate::Raft;

/// The request was not a Raft RPC this node understands.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("unknown RPC path {0}")]
    UnknownPath(String),
    #[error(transparent)]
    Wire(#[from] WireError),
}

/// Handles one Raft RPC; the reply is a [`wire::PbReply`] envelope.
pub async fn handle(raft: &Raft, path: &str, body: &[u8]) -> Result<Vec<u8>, ServiceError> {
    match path {
        PATH_APPEND => {
            let request = wire::decode_append_request(body)?;
            let result = raft.append_entries(request).await;
            Ok(wire::encode_reply(result.map(|response| wire::encode_append_response(&response))))
        }
        PATH_VOTE => {
            let request = wire::decode_vote_request(body)?;
            let result = raft.vote(request).await;
            Ok(wire::encode_reply(result.map(|response| wire::encode_vote_response(&response))))
        }
        PATH_SNAPSHOT => {
            let request = wire::decode_snapshot_request(body)?;
            let result = raft.install_snapshot(request).await;
            Ok(wire::encode_reply(result.map(|response| wire::encode_snapshot_response(&response))))
        }
        other => Err(ServiceError::UnknownPath(other.to_string())),
    }
}
