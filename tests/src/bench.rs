//! What the benchmark programs share: options or a usage message, percentiles, and writing
//! their results to `bench/results/*.json`.

use std::path::Path;

/// The parsed options, or the parser's message on standard error and exit status 2.
pub fn options_or_exit<T>(parse: impl FnOnce() -> Result<T, String>) -> T {
    match parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    }
}

/// The `q` quantile (0 to 1, nearest rank) of sorted samples; NaN when there are none.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize]
}

/// Writes a result as pretty JSON, creating its folder; says where, or why it could not.
pub fn write_result(path: &str, result: &serde_json::Value) {
    if let Some(parent) = Path::new(path).parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    match std::fs::write(path, serde_json::to_string_pretty(result).unwrap_or_default()) {
        Ok(()) => println!("wrote {path}"),
        Err(error) => eprintln!("writing {path}: {error}"),
    }
}
