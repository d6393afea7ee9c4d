//! The node-to-node wire format: prost messages and explicit conversions to openraft's types.
//!
//! Raft's own fields (votes, log ids, indexes, flags) are typed protobuf fields, so a reader of
//! a capture or another implementation can follow the protocol. Opaque application payloads (a
//! domain entry, a membership config, an error) travel as JSON bytes inside them. Decoding never
//! panics: a malformed frame is a [`WireError`].

use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use openraft::{CommittedLeaderId, EntryPayload, LeaderId};
use prost::Message;

use crate::{LogId, NodeId, SnapshotMeta, TypeConfig, Vote};

/// A frame could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("malformed protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("malformed payload: {0}")]
    Json(#[from] serde_json::Error),
    #[error("missing field {0}")]
    Missing(&'static str),
    #[error("unknown {0} kind {1}")]
    UnknownKind(&'static str, u32),
}

#[derive(Clone, PartialEq, Message)]
pub struct PbVote {
    #[prost(uint64, tag = "1")]
    pub term: u64,
    #[prost(uint64, tag = "2")]
    pub node_id: u64,
    #[prost(bool, tag = "3")]
    pub committed: bool,
}

#[derive(Clone, PartialEq, Message)]
pub struct PbLogId {
    #[prost(uint64, tag = "1")]
    pub term: u64,
    #[prost(uint64, tag = "2")]
    pub node_id: u64,
    #[prost(uint64, tag = "3")]
    pub index: u64,
}

pub const ENTRY_BLANK: u32 = 0;
pub const ENTRY_NORMAL: u32 = 1;
pub const ENTRY_MEMBERSHIP: u32 = 2;

#[derive(Clone, PartialEq, Message)]
pub struct PbEntry {
    #[prost(message, optional, tag = "1")]
    pub log_id: Option<PbLogId>,
    /// ENTRY_BLANK, ENTRY_NORMAL or ENTRY_MEMBERSHIP.
    #[prost(uint32, tag = "2")]
    pub kind: u32,
    /// JSON of the domain entry or the membership config; empty for a blank entry.
    #[prost(bytes = "vec", tag = "3")]
    pub payload: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
pub struct PbAppendRequest {
    #[prost(message, optional, tag = "1")]
    pub vote: Option<PbVote>,
    #[prost(message, optional, tag = "2")]
    pub prev_log_id: Option<PbLogId>,
    #[prost(message, repeated, tag = "3")]
    pub entries: Vec<PbEntry>,
    #[prost(message, optional, tag = "4")]
    pub leader_commit: Option<PbLogId>,
}

pub const APPEND_SUCCESS: u32 = 0;
pub const APPEND_PARTIAL: u32 = 1;
pub const APPEND_CONFLICT: u32 = 2;
pub const APPEND_HIGHER_VOTE: u32 = 3;

#[derive(Clone, PartialEq, Message)]
pub struct PbAppendResponse {
    #[prost(uint32, tag = "1")]
    pub kind: u32,
    #[prost(message, optional, tag = "2")]
    pub matching: Option<PbLogId>,
    #[prost(message, optional, tag = "3")]
    pub vote: Option<PbVote>,
}

#[derive(Clone, PartialEq, Message)]
pub struct PbVoteRequest {
    #[prost(message, optional, tag = "1")]
    pub vote: Option<PbVote>,
    #[prost(message, optional, tag = "2")]
    pub last_log_id: Option<PbLogId>,
}

#[derive(Clone, PartialEq, Message)]
pub struct PbVoteResponse {
    #[prost(message, optional, tag = "1")]
    pub vote: Option<PbVote>,
    #[prost(bool, tag = "2")]
    pub vote_granted: bool,
    #[prost(message, optional, tag = "3")]
    pub last_log_id: Option<PbLogId>,
}

#[derive(Clone, PartialEq, Message)]
pub struct PbSnapshotRequest {
    #[prost(message, optional, tag = "1")]
    pub vote: Option<PbVote>,
    /// JSON of the snapshot meta (last log id, membership, snapshot id).
    #[prost(bytes = "vec", tag = "2")]
    pub meta: Vec<u8>,
    #[prost(uint64, tag = "3")]
    pub offset: u64,
    #[prost(bytes = "vec", tag = "4")]
    pub data: Vec<u8>,
    #[prost(bool, tag = "5")]
    pub done: bool,
}

#[derive(Clone, PartialEq, Message)]
pub struct PbSnapshotResponse {
    #[prost(message, optional, tag = "1")]
    pub vote: Option<PbVote>,
}

/// The envelope of every RPC answer: the encoded response, or the remote Raft error as JSON.
#[derive(Clone, PartialEq, Message)]
pub struct PbReply {
    #[prost(bytes = "vec", tag = "1")]
    pub ok: Vec<u8>,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub error: Option<Vec<u8>>,
}

/// A client write forwarded from a follower to the leader.
#[derive(Clone, PartialEq, Message)]
pub struct PbForward {
    /// JSON of the domain entry.
    #[prost(bytes = "vec", tag = "1")]
    pub entry: Vec<u8>,
}

pub fn vote_to_pb(vote: &Vote) -> PbVote {
    PbVote { term: vote.leader_id.term, node_id: vote.leader_id.node_id, committed: vote.committed }
}

pub fn vote_from_pb(vote: Option<PbVote>) -> Result<Vote, WireError> {
    let vote = vote.ok_or(WireError::Missing("vote"))?;
    Ok(Vote { leader_id: LeaderId { term: vote.term, node_id: vote.node_id }, committed: vote.committed })
}

pub fn log_id_to_pb(log_id: &LogId) -> PbLogId {
    PbLogId { term: log_id.leader_id.term, node_id: log_id.leader_id.node_id, index: log_id.index }
}

pub fn log_id_from_pb(log_id: PbLogId) -> LogId {
    LogId::new(CommittedLeaderId::new(log_id.term, log_id.node_id), log_id.index)
}

fn option_log_id_from_pb(log_id: Option<PbLogId>) -> Option<LogId> {
    log_id.map(log_id_from_pb)
}

fn entry_to_pb(entry: &openraft::Entry<TypeConfig>) -> Result<PbEntry, WireError> {
    let (kind, payload) = match &entry.payload {
        EntryPayload::Blank => (ENTRY_BLANK, Vec::new()),
        EntryPayload::Normal(request) => (ENTRY_NORMAL, serde_json::to_vec(request)?),
        EntryPayload::Membership(membership) => (ENTRY_MEMBERSHIP, serde_json::to_vec(membership)?),
    };
    Ok(PbEntry { log_id: Some(log_id_to_pb(&entry.log_id)), kind, payload })
}

fn entry_from_pb(entry: PbEntry) -> Result<openraft::Entry<TypeConfig>, WireError> {
    let log_id = log_id_from_pb(entry.log_id.ok_or(WireError::Missing("entry.log_id"))?);
    let payload = match entry.kind {
        ENTRY_BLANK => EntryPayload::Blank,
        ENTRY_NORMAL => EntryPayload::Normal(serde_json::from_slice(&entry.payload)?),
        ENTRY_MEMBERSHIP => EntryPayload::Membership(serde_json::from_slice(&entry.payload)?),
        other => return Err(WireError::UnknownKind("entry", other)),
    };
    Ok(openraft::Entry { log_id, payload })
}

pub fn encode_append_request(request: &AppendEntriesRequest<TypeConfig>) -> Result<Vec<u8>, WireError> {
    let entries = request.entries.iter().map(entry_to_pb).collect::<Result<Vec<_>, _>>()?;
    let message = PbAppendRequest {
        vote: Some(vote_to_pb(&request.vote)),
        prev_log_id: request.prev_log_id.as_ref().map(log_id_to_pb),
        entries,
        leader_commit: request.leader_commit.as_ref().map(log_id_to_pb),
    };
    Ok(message.encode_to_vec())
}

pub fn decode_append_request(bytes: &[u8]) -> Result<AppendEntriesRequest<TypeConfig>, WireError> {
    let message = PbAppendRequest::decode(bytes)?;
    let entries = message.entries.into_iter().map(entry_from_pb).collect::<Result<Vec<_>, _>>()?;
    Ok(AppendEntriesRequest {
        vote: vote_from_pb(message.vote)?,
        prev_log_id: option_log_id_from_pb(message.prev_log_id),
        entries,
        leader_commit: option_log_id_from_pb(message.leader_commit),
    })
}

pub fn encode_append_response(response: &AppendEntriesResponse<NodeId>) -> Vec<u8> {
    let message = match response {
        AppendEntriesResponse::Success => PbAppendResponse { kind: APPEND_SUCCESS, matching: None, vote: None },
        AppendEntriesResponse::PartialSuccess(matching) => {
            PbAppendResponse { kind: APPEND_PARTIAL, matching: matching.as_ref().map(log_id_to_pb), vote: None }
        }
        AppendEntriesResponse::Conflict => PbAppendResponse { kind: APPEND_CONFLICT, matching: None, vote: None },
        AppendEntriesResponse::HigherVote(vote) => {
            PbAppendResponse { kind: APPEND_HIGHER_VOTE, matching: None, vote: Some(vote_to_pb(vote)) }
        }
    };
    message.encode_to_vec()
}

pub fn decode_append_response(bytes: &[u8]) -> Result<AppendEntriesResponse<NodeId>, WireError> {
    let message = PbAppendResponse::decode(bytes)?;
    match message.kind {
        APPEND_SUCCESS => Ok(AppendEntriesResponse::Success),
        APPEND_PARTIAL => Ok(AppendEntriesResponse::PartialSuccess(option_log_id_from_pb(message.matching))),
        APPEND_CONFLICT => Ok(AppendEntriesResponse::Conflict),
        APPEND_HIGHER_VOTE => Ok(AppendEntriesResponse::HigherVote(vote_from_pb(message.vote)?)),
        other => Err(WireError::UnknownKind("append response", other)),
    }
}

pub fn encode_vote_request(request: &VoteRequest<NodeId>) -> Vec<u8> {
    PbVoteRequest { vote: Some(vote_to_pb(&request.vote)), last_log_id: request.last_log_id.as_ref().map(log_id_to_pb) }
        .encode_to_vec()
}

pub fn decode_vote_request(bytes: &[u8]) -> Result<VoteRequest<NodeId>, WireError> {
    let message = PbVoteRequest::decode(bytes)?;
    Ok(VoteRequest { vote: vote_from_pb(message.vote)?, last_log_id: option_log_id_from_pb(message.last_log_id) })
}

pub fn encode_vote_response(response: &VoteResponse<NodeId>) -> Vec<u8> {
    PbVoteResponse {
        vote: Some(vote_to_pb(&response.vote)),
        vote_granted: response.vote_granted,
        last_log_id: response.last_log_id.as_ref().map(log_id_to_pb),
    }
    .encode_to_vec()
}

pub fn decode_vote_response(bytes: &[u8]) -> Result<VoteResponse<NodeId>, WireError> {
    let message = PbVoteResponse::decode(bytes)?;
    Ok(VoteResponse {
        vote: vote_from_pb(message.vote)?,
        vote_granted: message.vote_granted,
        last_log_id: option_log_id_from_pb(message.last_log_id),
    })
}

pub fn encode_snapshot_request(request: &InstallSnapshotRequest<TypeConfig>) -> Result<Vec<u8>, WireError> {
    Ok(PbSnapshotRequest {
        vote: Some(vote_to_pb(&request.vote)),
        meta: serde_json::to_vec(&request.meta)?,
        offset: request.offset,
        data: request.data.clone(),
        done: request.done,
    }
    .encode_to_vec())
}

pub fn decode_snapshot_request(bytes: &[u8]) -> Result<InstallSnapshotRequest<TypeConfig>, WireError> {
    let message = PbSnapshotRequest::decode(bytes)?;
    let meta: SnapshotMeta = serde_json::from_slice(&message.meta)?;
    Ok(InstallSnapshotRequest {
        vote: vote_from_pb(message.vote)?,
        meta,
        offset: message.offset,
        data: message.data,
        done: message.done,
    })
}

pub fn encode_snapshot_response(response: &InstallSnapshotResponse<NodeId>) -> Vec<u8> {
    PbSnapshotResponse { vote: Some(vote_to_pb(&response.vote)) }.encode_to_vec()
}

pub fn decode_snapshot_response(bytes: &[u8]) -> Result<InstallSnapshotResponse<NodeId>, WireError> {
    let message = PbSnapshotResponse::decode(bytes)?;
    Ok(InstallSnapshotResponse { vote: vote_from_pb(message.vote)? })
}

/// Wraps a handler's result in the reply envelope.
pub fn encode_reply<E: serde::Serialize>(result: Result<Vec<u8>, E>) -> Vec<u8> {
    let reply = match result {
        Ok(ok) => PbReply { ok, error: None },
        Err(error) => match serde_json::to_vec(&error) {
            Ok(error) => PbReply { ok: Vec::new(), error: Some(error) },
            Err(e) => PbReply { ok: Vec::new(), error: Some(format!("\"unencodable error: {e}\"").into_bytes()) },
        },
    };
    reply.encode_to_vec()
}

/// Opens the reply envelope: the response bytes, or the remote error.
pub fn decode_reply<E: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<Result<Vec<u8>, E>, WireError> {
    let reply = PbReply::decode(bytes)?;
    match reply.error {
        None => Ok(Ok(reply.ok)),
        Some(error) => Ok(Err(serde_json::from_slice(&error)?)),
    }
}

/// Remote errors as they come back over the wire.
pub type RemoteRaftError = RaftError<NodeId>;
pub type RemoteSnapshotError = RaftError<NodeId, InstallSnapshotError>;

#[cfg(test)]
mod tests {
    //! Decoders face the network: arbitrary bytes must give an error, never a panic, and every
    //! message must survive an encode/decode round trip.

    use openraft::{EntryPayload, Membership};
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use tandem_domain::SystemCommand;

    use super::*;

    fn log_id(term: u64, node_id: u64, index: u64) -> LogId {
        LogId::new(CommittedLeaderId::new(term, node_id), index)
    }

    fn sample_append() -> AppendEntriesRequest<TypeConfig> {
        let entry = tandem_domain::Entry {
            request_id: Some(tandem_domain::RequestId("r-1".into())),
            time_ms: 7,
            command: tandem_domain::Command::System(SystemCommand::Noop),
            by: tandem_domain::Actor::User(tandem_domain::UserId(4)),
        };
        let membership = Membership::new(vec![BTreeSet::from([1, 2, 3])], None);
        AppendEntriesRequest {
            vote: Vote::new_committed(3, 1),
            prev_log_id: Some(log_id(2, 1, 9)),
            entries: vec![
                openraft::Entry { log_id: log_id(3, 1, 10), payload: EntryPayload::Blank },
                openraft::Entry {
                    log_id: log_id(3, 1, 11),
                    payload: EntryPayload::Normal(crate::Proposal { entries: vec![entry] }),
                },
                openraft::Entry { log_id: log_id(3, 1, 12), payload: EntryPayload::Membership(membership) },
            ],
            leader_commit: Some(log_id(3, 1, 10)),
        }
    }

    #[test]
    fn append_request_round_trips() {
        let request = sample_append();
        let decoded = decode_append_request(&encode_append_request(&request).unwrap()).unwrap();
        assert_eq!(format!("{decoded:?}"), format!("{request:?}"));
    }

    #[test]
    fn responses_round_trip() {
        for response in [
            AppendEntriesResponse::Success,
            AppendEntriesResponse::PartialSuccess(Some(log_id(1, 2, 3))),
            AppendEntriesResponse::Conflict,
            AppendEntriesResponse::HigherVote(Vote::new(9, 2)),
        ] {
            assert_eq!(decode_append_response(&encode_append_response(&response)).unwrap(), response);
        }
        let vote = VoteResponse { vote: Vote::new(4, 2), vote_granted: true, last_log_id: Some(log_id(3, 1, 8)) };
        assert_eq!(decode_vote_response(&encode_vote_response(&vote)).unwrap(), vote);
        let request = VoteRequest { vote: Vote::new(4, 2), last_log_id: None };
        assert_eq!(decode_vote_request(&encode_vote_request(&request)).unwrap(), request);
    }

    #[test]
    fn missing_vote_is_an_error() {
        let bytes = PbVoteRequest { vote: None, last_log_id: None }.encode_to_vec();
        assert!(matches!(decode_vote_request(&bytes), Err(WireError::Missing("vote"))));
        let bytes = PbAppendResponse { kind: 99, matching: None, vote: None }.encode_to_vec();
        assert!(matches!(decode_append_response(&bytes), Err(WireError::UnknownKind(_, 99))));
    }

    fn decode_everything(bytes: &[u8]) {
        // Only the absence of a panic matters here; each result is an Ok or a WireError.
        let _ = decode_append_request(bytes);
        let _ = decode_append_response(bytes);
        let _ = decode_vote_request(bytes);
        let _ = decode_vote_response(bytes);
        let _ = decode_snapshot_request(bytes);
        let _ = decode_snapshot_response(bytes);
        let _ = decode_reply::<RemoteRaftError>(bytes);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            decode_everything(&bytes);
        }

        #[test]
        fn mutated_frames_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
            let mut bytes = encode_append_request(&sample_append()).unwrap();
            for (position, value) in flips {
                let index = position % bytes.len();
                bytes[index] = value;
            }
            decode_everything(&bytes);
        }
    }
}
