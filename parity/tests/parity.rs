//! Parity between the two paths: every language-suite program runs on the VM and compiled to
//! Rust (by this crate's build script), and both must print exactly the expected `--echo`
//! output (`tests/lang/<area>/<name>.out`); where `<name>.err` exists, the compiled program's
//! diagnostic must contain its lines too, as the VM's does.
//!
//! A program that does not compile (a reader or expander error, which the VM reports when it
//! reaches that form) must fail with the same message the VM prints for it.
//!
//! `known-differences.txt` lists programs allowed to differ while the compiled path is being
//! completed (one path per line, `#` comments; `PATH skip` for one that would hang); the suite
//! fails if a listed program passes, so the list only shrinks. `cargo test -p slight-parity -- FILTER` runs matching programs only.

use slight::runner::{check_isolated, missing_diagnostic_line, run_compiled, run_source};
use slight::Vm;
use slight_parity::{programs, Compiled, Program};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root")
}

fn vm_echo(path: &str) -> String {
    let src = std::fs::read_to_string(path).expect("read program");
    let mut vm = Vm::new();
    let out = vm.capture_output();
    run_source(&mut vm, path, &src, true);
    let s = out.borrow().clone();
    s
}

fn check(p: &Program) -> Result<(), String> {
    let expected = std::fs::read_to_string(Path::new(p.path).with_extension("out"))
        .map_err(|_| format!("missing .out for {}", p.path))?;
    match &p.compiled {
        Compiled::Ok(run_each) => {
            let mut vm = Vm::new();
            let out = vm.capture_output();
            run_compiled(&mut vm, *run_each, true);
            let got = out.borrow().clone();
            if got != expected {
                return Err(format!("--- expected (echo)\n{expected}--- compiled\n{got}"));
            }
            if let Ok(expected_err) = std::fs::read_to_string(Path::new(p.path).with_extension("err")) {
                let mut vm = Vm::new();
                let _out = vm.capture_output();
                let outcome = run_compiled(&mut vm, *run_each, false);
                let rendered: String = outcome.errors.iter().map(|e| e.rendered.clone()).collect();
                if let Some(line) = missing_diagnostic_line(&expected_err, &rendered) {
                    return Err(format!("compiled diagnostic lacks (in order) `{line}`\n{rendered}"));
                }
            }
            Ok(())
        }
        Compiled::Err { message, location } => {
            let vm = vm_echo(p.path);
            if vm.lines().any(|l| l == format!("!! {message}")) {
                Ok(())
            } else {
                Err(format!("does not compile ({location}: {message}), but the VM does not report that error:\n{vm}"))
            }
        }
    }
}

fn main() {
    std::env::set_current_dir(root()).expect("cd to the workspace root");
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    // `PATH` (runs, and must still differ) or `PATH skip` (not run: it would hang).
    let entries: Vec<(String, bool)> = std::fs::read_to_string("parity/known-differences.txt")
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .map(|l| match l.strip_suffix(" skip") {
            Some(path) => (path.trim().to_string(), true),
            None => (l, false),
        })
        .collect();
    let known: Vec<String> = entries.iter().map(|(p, _)| p.clone()).collect();
    let skipped: Vec<String> = entries.iter().filter(|(_, s)| *s).map(|(p, _)| p.clone()).collect();
    let mut failed = Vec::new();
    let mut fixed = Vec::new();
    let mut count = 0;
    for p in programs() {
        if !filter.is_empty() && !filter.iter().any(|f| p.path.contains(f.as_str())) {
            continue;
        }
        if skipped.iter().any(|s| s == p.path) {
            println!("skip {} (listed in parity/known-differences.txt)", p.path);
            continue;
        }
        count += 1;
        let path = p.path;
        let result = check_isolated(move || check(&p));
        let listed = known.iter().any(|k| k == path);
        match (result, listed) {
            (Ok(()), false) => println!("ok   {path}"),
            (Ok(()), true) => {
                println!("FIXED {path} (remove it from parity/known-differences.txt)");
                fixed.push(path);
            }
            (Err(msg), true) => println!("known {path}: {}", msg.lines().next().unwrap_or("")),
            (Err(msg), false) => {
                println!("FAIL {path}\n{msg}");
                failed.push(path);
            }
        }
    }
    println!("\n{count} programs on both paths: {} failed, {} known differences fixed", failed.len(), fixed.len());
    if !failed.is_empty() || !fixed.is_empty() {
        std::process::exit(1);
    }
}
