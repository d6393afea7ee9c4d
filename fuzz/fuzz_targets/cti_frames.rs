//! The CTI protocol's frames, both ways and both encodings: what a node decodes from any
//! desktop on the internet (before login), and what the client library decodes from a node.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_client::proto::{ClientMessage, ServerMessage};

fuzz_target!(|data: &[u8]| {
    let _ = ClientMessage::from_binary(data);
    let _ = ServerMessage::from_binary(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ClientMessage::from_text(text);
        let _ = ServerMessage::from_text(text);
    }
});
