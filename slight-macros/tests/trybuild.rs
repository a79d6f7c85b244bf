//! UI tests of `slight!` / `include_slight!` compile errors: every `tests/ui/*.rs` must fail to
//! compile with exactly the diagnostics in its `.stderr` snapshot, each pointing at the
//! offending Slight token. Regenerate the snapshots with `TRYBUILD=overwrite` and review them.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
