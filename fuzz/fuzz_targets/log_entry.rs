//! A log entry as a follower forwards it and the log stores it (JSON), then applied: whatever
//! an entry says, the center refuses it or applies it, and never panics. A refusal changes
//! nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_domain::{Center, Entry, Outcome};

fuzz_target!(|data: &[u8]| {
    let Ok(entries) = serde_json::from_slice::<Vec<Entry>>(data) else { return };
    let mut center = Center::default();
    for entry in entries.iter().take(64) {
        let before = center.clone();
        if let Outcome::Rejected(_) = center.apply(entry) {
            assert!(center == before, "a rejected entry changed the center");
        }
    }
});
