//! A stored or received snapshot: the frame, then the center inside it. A corrupt snapshot
//! must be an error naming it, never a panic; a center that decodes must survive a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_raft::snapshot;

fuzz_target!(|data: &[u8]| {
    if let Ok(stored) = snapshot::decode_stored(data) {
        let _ = snapshot::decode_payload(&stored.data);
    }
    if let Ok(center) = snapshot::decode_payload(data) {
        let bytes = snapshot::encode_payload(&center).expect("a decoded center encodes");
        let again = snapshot::decode_payload(&bytes).expect("an encoded center decodes");
        assert!(again == center, "a snapshot's center survives a round trip");
    }
});
