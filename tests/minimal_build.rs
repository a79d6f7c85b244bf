//! The smallest embedding builds what it should and nothing else: `examples/embed-minimal`
//! depends on `slight` with `default-features = false`. Its dependency tree has no GPU, image,
//! compiled-path, proc-macro or CLI crate and no C build, and the program runs the standard
//! library and processes, and gets a clear error from the builtins of the missing features.

use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/embed-minimal/Cargo.toml")
}

fn cargo() -> Command {
    Command::new(env!("CARGO"))
}

#[test]
fn dependency_tree_has_no_optional_crates() {
    let out = cargo()
        .args(["tree", "--locked", "-e", "normal,build", "--prefix", "none", "--manifest-path"])
        .arg(manifest())
        .output()
        .expect("run cargo tree");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "cargo tree failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let mut crates: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().next()).collect();
    crates.sort_unstable();
    crates.dedup();
    for banned in [
        "wgpu",
        "naga",
        "bytemuck",
        "png",
        "syn",
        "quote",
        "proc-macro2",
        "prettyplease",
        "slight-macros",
        "clap",
        "rustyline",
        "libmimalloc-sys",
        "cc",
        "stacker",
        "psm",
        "corosensei",
    ] {
        assert!(!crates.contains(&banned), "{banned} is in the minimal build: {crates:?}");
    }
    // 30 today: the VM's own 4, serde_json, indexmap, codespan-reporting and their few
    // dependencies, and cap-std's 13 (the fs root's directory handles; no C build).
    assert!(crates.len() <= 32, "{} crates in the minimal build: {crates:?}", crates.len());
}

#[test]
fn minimal_embedder_runs_and_missing_features_are_clear_errors() {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/embed-minimal");
    let out = cargo()
        .args(["run", "--quiet", "--locked", "--manifest-path"])
        .arg(manifest())
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("run cargo run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the minimal embedder failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        stdout,
        "gpu/run: this build has no GPU support (feature \"gpu\")\n\
         gpu/info: this build has no GPU support (feature \"gpu\")\n\
         defkernel: this build has no GPU support (feature \"gpu\")\n\
         image/write-png: this build has no image support (feature \"image\")\n\
         (1 4 9 16 25)\n\
         {\"the\":2,\"cat\":1,\"and\":1,\"hat\":1}\n\
         42\n"
    );
}
