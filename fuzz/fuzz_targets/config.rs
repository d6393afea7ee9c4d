//! A node's configuration file: any text gives a config that validates, or an error that
//! says what to fix; never a panic.
#![no_main]

#[allow(dead_code)]
#[path = "../../node/src/config.rs"]
mod config;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(config) = config::NodeConfig::from_toml_str(text) {
        let _ = config.validate();
    }
});
