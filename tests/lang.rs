//! The language suite: runs every `tests/lang/<area>/<name>.sl` program and compares
//! - its `--echo` output (program output, `=> result` and `!! error` lines) with `<name>.out`;
//! - when `<name>.err` exists, the diagnostic of a plain run: each non-empty line of the file
//!   must appear in the rendered error, in order (message, then `file:line:col`).
//!
//! Programs run in-process through `slight::runner`, the same code the `slight` CLI uses.
//! `cargo test --test lang -- FILTER` runs only the programs whose path contains FILTER.
//! Files whose name starts with `_` are helpers (included by other programs), not tests.

use slight::runner::{check_isolated, missing_diagnostic_line, run_source};
use slight::Vm;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
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

fn run(path: &Path, echo: bool) -> (String, String) {
    let src = std::fs::read_to_string(path).expect("read test program");
    let mut vm = Vm::new();
    let out = vm.capture_output();
    let outcome = run_source(&mut vm, &path.display().to_string(), &src, echo);
    let errs: String = outcome.errors.iter().map(|e| e.rendered.clone()).collect();
    let stdout = out.borrow().clone();
    (stdout, errs)
}

fn check(path: &Path) -> Result<(), String> {
    let expected_out = std::fs::read_to_string(path.with_extension("out"))
        .map_err(|_| format!("missing {}", path.with_extension("out").display()))?;
    let (stdout, _) = run(path, true);
    if stdout != expected_out {
        return Err(format!("--- expected (echo)\n{expected_out}--- actual\n{stdout}"));
    }
    if let Ok(expected_err) = std::fs::read_to_string(path.with_extension("err")) {
        let (_, stderr) = run(path, false);
        if let Some(line) = missing_diagnostic_line(&expected_err, &stderr) {
            return Err(format!("diagnostic lacks (in order) `{line}`\n--- diagnostic\n{stderr}"));
        }
    }
    Ok(())
}

fn main() {
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let mut files = Vec::new();
    collect(Path::new("tests/lang"), &mut files);
    files.sort();
    files.retain(|f| filter.is_empty() || filter.iter().any(|p| f.display().to_string().contains(p.as_str())));
    let mut failed = Vec::new();
    for f in &files {
        let p = f.clone();
        let result = check_isolated(move || check(&p));
        match result {
            Ok(()) => println!("ok   {}", f.display()),
            Err(msg) => {
                println!("FAIL {}\n{msg}", f.display());
                failed.push(f.clone());
            }
        }
    }
    println!("\nlanguage suite: {} passed, {} failed", files.len() - failed.len(), failed.len());
    if !failed.is_empty() {
        for f in &failed {
            println!("  failed: {}", f.display());
        }
        std::process::exit(1);
    }
}
