//! The snapshot's bytes, as stored and as sent between nodes: a versioned payload (snapshots
//! outlive binaries) in a frame that keeps the payload out of JSON. Apart from the state
//! machine so the decoders can be fuzzed without a database (`fuzz/`).

use openraft::{ErrorSubject, ErrorVerb};
use serde::{Deserialize, Serialize};
use tandem_domain::Center;

use crate::{io_error, SnapshotMeta, StorageIoError};

/// The snapshot as stored and as sent to other nodes.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredSnapshot {
    pub meta: SnapshotMeta,
    pub data: Vec<u8>,
}

/// The payload inside a snapshot; versioned because snapshots outlive binaries.
#[derive(Debug, Serialize, Deserialize)]
struct SnapshotPayload {
    format: u32,
    center: Center,
}

const SNAPSHOT_FORMAT: u32 = 1;

/// [`SnapshotPayload`] by reference: the same JSON without copying the center.
#[derive(Serialize)]
struct SnapshotPayloadRef<'a> {
    format: u32,
    center: &'a Center,
}

pub fn encode_payload(center: &Center) -> Result<Vec<u8>, StorageIoError> {
    let payload = SnapshotPayloadRef { format: SNAPSHOT_FORMAT, center };
    serde_json::to_vec(&payload).map_err(|e| io_error(ErrorSubject::Snapshot(None), ErrorVerb::Write, e))
}

/// The first byte of a stored snapshot in the framed form: `[FRAMED][meta length, u32 BE][meta
/// JSON][payload]`. JSON would spell the payload bytes as an array of numbers, four times their
/// size and slow to write; stored snapshots of earlier releases are JSON and start with `{`.
pub(crate) const STORED_SNAPSHOT_FRAMED: u8 = 1;

pub fn encode_stored(snapshot: &StoredSnapshot) -> Result<Vec<u8>, StorageIoError> {
    let subject = ErrorSubject::Snapshot(Some(snapshot.meta.signature()));
    let meta = serde_json::to_vec(&snapshot.meta).map_err(|e| io_error(subject.clone(), ErrorVerb::Write, e))?;
    let meta_length = u32::try_from(meta.len())
        .map_err(|_| io_error(subject, ErrorVerb::Write, std::io::Error::other("snapshot meta over 4 GiB")))?;
    let mut bytes = Vec::with_capacity(1 + 4 + meta.len() + snapshot.data.len());
    bytes.push(STORED_SNAPSHOT_FRAMED);
    bytes.extend_from_slice(&meta_length.to_be_bytes());
    bytes.extend_from_slice(&meta);
    bytes.extend_from_slice(&snapshot.data);
    Ok(bytes)
}

pub fn decode_stored(bytes: &[u8]) -> Result<StoredSnapshot, StorageIoError> {
    let corrupt = |why: &str| {
        io_error(
            ErrorSubject::Snapshot(None),
            ErrorVerb::Read,
            std::io::Error::other(format!("stored snapshot: {why}")),
        )
    };
    match bytes.first() {
        Some(b'{') => {
            serde_json::from_slice(bytes).map_err(|e| io_error(ErrorSubject::Snapshot(None), ErrorVerb::Read, e))
        }
        Some(&STORED_SNAPSHOT_FRAMED) => {
            let length: [u8; 4] =
                bytes.get(1..5).and_then(|l| l.try_into().ok()).ok_or_else(|| corrupt("truncated"))?;
            let meta_end = 5usize.checked_add(u32::from_be_bytes(length) as usize).ok_or_else(|| corrupt("length"))?;
            let meta = bytes.get(5..meta_end).ok_or_else(|| corrupt("truncated meta"))?;
            let meta: SnapshotMeta =
                serde_json::from_slice(meta).map_err(|e| io_error(ErrorSubject::Snapshot(None), ErrorVerb::Read, e))?;
            let data = bytes.get(meta_end..).unwrap_or_default().to_vec();
            Ok(StoredSnapshot { meta, data })
        }
        _ => Err(corrupt("unknown format")),
    }
}

pub fn decode_payload(bytes: &[u8]) -> Result<Center, StorageIoError> {
    let payload: SnapshotPayload =
        serde_json::from_slice(bytes).map_err(|e| io_error(ErrorSubject::Snapshot(None), ErrorVerb::Read, e))?;
    if payload.format != SNAPSHOT_FORMAT {
        let error = std::io::Error::other(format!("unsupported snapshot format {}", payload.format));
        return Err(io_error(ErrorSubject::Snapshot(None), ErrorVerb::Read, error));
    }
    Ok(payload.center)
}
