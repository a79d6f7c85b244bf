//! Compiles every program of the language suite to Rust (see `src/lib.rs`).

use slight_runtime::native::driver::{compile, Options};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "sl")
            && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('_'))
        {
            out.push(p);
        }
    }
}

fn main() {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    // Programs are named relative to the workspace root, as the VM suite names them.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf();
    std::env::set_current_dir(&root).expect("cd to the workspace root");
    println!("cargo:rerun-if-changed={}", root.join("tests/lang").display());
    let mut files = Vec::new();
    collect(Path::new("tests/lang"), &mut files);
    files.sort();
    let mut compiled = Vec::new();
    let mut index = String::from("pub fn programs() -> Vec<Program> {\n    vec![\n");
    for (i, path) in files.iter().enumerate() {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
        let name = path.display().to_string();
        let src = std::fs::read_to_string(path).expect("read program");
        match compile(&name, &src, &Options::default()).and_then(|out| out.fast()) {
            Ok(text) => {
                std::fs::write(out_dir.join(format!("p{i}.rs")), text).expect("write module");
                compiled.push(i);
                writeln!(index, "        Program {{ path: {name:?}, compiled: Compiled::Ok(p{i}::run_each) }},")
                    .unwrap();
            }
            Err(e) => {
                let location = format!("{}:{}:{}", e.file, e.line, e.col);
                writeln!(
                    index,
                    "        Program {{ path: {name:?}, compiled: Compiled::Err {{ message: {:?}, location: {location:?} }} }},",
                    e.message
                )
                .unwrap();
            }
        }
    }
    index.push_str("    ]\n}\n");
    for i in compiled {
        writeln!(index, "pub mod p{i} {{ include!(concat!(env!(\"OUT_DIR\"), \"/p{i}.rs\")); }}").unwrap();
    }
    std::fs::write(out_dir.join("programs.rs"), index).expect("write index");
}
