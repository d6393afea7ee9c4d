//! Every message a node decodes from a peer over the Raft transport. A peer is authenticated
//! by mutual TLS, but a buggy or newer peer, or a corrupt frame, must give an error, never a
//! panic; what decodes must encode and decode to the same message.
#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use tandem_raft::wire::{self, WireError};

/// Decodes `bytes`; if that works, the message must encode and decode to itself.
fn round_trip<T: Debug>(
    bytes: &[u8],
    decode: impl Fn(&[u8]) -> Result<T, WireError>,
    encode: impl Fn(&T) -> Result<Vec<u8>, WireError>,
) {
    let Ok(message) = decode(bytes) else { return };
    let encoded = encode(&message).expect("a decoded message encodes");
    let again = decode(&encoded).expect("an encoded message decodes");
    assert_eq!(format!("{again:?}"), format!("{message:?}"));
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    match which % 7 {
        0 => round_trip(bytes, wire::decode_append_request, wire::encode_append_request),
        1 => round_trip(bytes, wire::decode_append_response, |m| Ok(wire::encode_append_response(m))),
        2 => round_trip(bytes, wire::decode_vote_request, |m| Ok(wire::encode_vote_request(m))),
        3 => round_trip(bytes, wire::decode_vote_response, |m| Ok(wire::encode_vote_response(m))),
        4 => round_trip(bytes, wire::decode_snapshot_request, wire::encode_snapshot_request),
        5 => round_trip(bytes, wire::decode_snapshot_response, |m| Ok(wire::encode_snapshot_response(m))),
        _ => {
            let _ = wire::decode_reply::<String>(bytes);
        }
    }
});
