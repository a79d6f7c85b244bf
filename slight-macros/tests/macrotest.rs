//! Expansion snapshots: each `tests/expand/*.rs` expands (with `cargo expand`) to exactly its
//! committed `.expanded.rs`. Refresh them with `MACROTEST=overwrite` and review the diff.
//!
//! Needs `cargo expand` (`cargo install cargo-expand --locked`; `.ci/run` installs it). Without
//! it the test is skipped with a message, except under CI (`CI` set), where it must run.

#[test]
fn expansions() {
    let has_cargo_expand = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["expand", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_cargo_expand && std::env::var_os("CI").is_none() {
        // Written to the real stderr (not `eprintln!`, which the test harness captures), so
        // the skip shows in `cargo test` output.
        use std::io::Write as _;
        let _ = std::io::stderr().write_all(
            b"SKIPPED tests/macrotest.rs: `cargo expand` is not installed (cargo install cargo-expand --locked)\n",
        );
        return;
    }
    macrotest::expand("tests/expand/*.rs");
}
