//! The builtin reference cannot drift from the code: every builtin has a signature, a doc and
//! an example; every example runs and prints what it claims; and `docs/BUILTINS.md` is exactly
//! the reference generated from the table (`SLIGHT_BLESS=1` rewrites it).

use slight_runtime::builtins::{doc_entries, reference_markdown};
use slight_runtime::Vm;

#[test]
fn every_builtin_is_documented_and_its_example_runs() {
    let mut failures = Vec::new();
    for e in doc_entries() {
        if e.signature.is_empty() || e.doc.is_empty() || e.example.is_empty() {
            failures.push(format!("{}: missing signature, doc or example", e.name));
            continue;
        }
        if !e.signature.starts_with(&format!("({}", e.name)) {
            failures.push(format!("{}: signature `{}` does not start with the name", e.name, e.signature));
        }
        let Some((call, expected)) = e.example.split_once(" => ") else {
            failures.push(format!("{}: example `{}` lacks ` => `", e.name, e.example));
            continue;
        };
        if e.name == "gpu/dispatch" && slight_runtime::gpu::info().backend == slight_runtime::gpu::BackendKind::Cpu {
            eprintln!("SKIPPED the gpu/dispatch example: no GPU adapter (raw WGSL needs one)");
            continue;
        }
        let mut vm = Vm::new();
        let _out = vm.capture_output();
        match vm.eval(call) {
            Ok(v) if expected == "..." || v.repr() == expected => {}
            Ok(v) => failures.push(format!("{}: `{call}` gave {}, the doc says {expected}", e.name, v.repr())),
            Err(err) => failures.push(format!("{}: `{call}` failed: {}", e.name, err.message)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn docs_builtins_md_matches_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/BUILTINS.md");
    let generated = reference_markdown();
    if std::env::var_os("SLIGHT_BLESS").is_some() {
        std::fs::write(path, &generated).expect("write docs/BUILTINS.md");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/BUILTINS.md is out of date; run `SLIGHT_BLESS=1 cargo test -p slight-runtime --test builtin_docs`"
    );
}
