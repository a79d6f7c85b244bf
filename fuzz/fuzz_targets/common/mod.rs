//! What the VM fuzz targets share: the tight limits a fuzzed program runs under.

use slight_runtime::Limits;

/// Small enough that every program ends within a few seconds and megabytes.
pub fn fuzz_limits() -> Limits {
    Limits {
        instructions: Some(200_000),
        call_depth: Some(300),
        string_len: Some(1 << 16),
        collection_len: Some(10_000),
        output: Some(1 << 16),
        deadline: Some(std::time::Duration::from_secs(2)),
        ..Limits::sandboxed()
    }
}
