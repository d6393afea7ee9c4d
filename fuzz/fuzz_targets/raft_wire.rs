//! Every message a node decodes from a peer over the Raft transport. A peer is authenticated
//! by mutual TLS, but a buggy or newer peer, or a corrupt frame, must give an error, never a
//! panic; what decodes must encode and decode to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_raft::wire;

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    match which % 7 {
        0 => {
            if let Ok(request) = wire::decode_append_request(bytes) {
                let again = wire::encode_append_request(&request).expect("a decoded request encodes");
                let decoded = wire::decode_append_request(&again).expect("an encoded request decodes");
                assert_eq!(format!("{decoded:?}"), format!("{request:?}"));
            }
        }
        1 => {
            if let Ok(response) = wire::decode_append_response(bytes) {
                let again = wire::decode_append_response(&wire::encode_append_response(&response));
                assert_eq!(format!("{:?}", again.expect("round trip")), format!("{response:?}"));
            }
        }
        2 => {
            if let Ok(request) = wire::decode_vote_request(bytes) {
                let again = wire::decode_vote_request(&wire::encode_vote_request(&request));
                assert_eq!(format!("{:?}", again.expect("round trip")), format!("{request:?}"));
            }
        }
        3 => {
            if let Ok(response) = wire::decode_vote_response(bytes) {
                let again = wire::decode_vote_response(&wire::encode_vote_response(&response));
                assert_eq!(format!("{:?}", again.expect("round trip")), format!("{response:?}"));
            }
        }
        4 => {
            if let Ok(request) = wire::decode_snapshot_request(bytes) {
                let again = wire::encode_snapshot_request(&request).expect("a decoded request encodes");
                let decoded = wire::decode_snapshot_request(&again).expect("an encoded request decodes");
                assert_eq!(format!("{decoded:?}"), format!("{request:?}"));
            }
        }
        5 => {
            if let Ok(response) = wire::decode_snapshot_response(bytes) {
                let again = wire::decode_snapshot_response(&wire::encode_snapshot_response(&response));
                assert_eq!(format!("{:?}", again.expect("round trip")), format!("{response:?}"));
            }
        }
        _ => {
            let _ = wire::decode_reply::<String>(bytes);
        }
    }
});
