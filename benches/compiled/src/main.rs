//! Compiled-path benchmarks, side by side in one run (release mode):
//!
//! a. the typed `fib(32)` compiled by `build.rs` (native `fn fib(n: i64) -> i64`) against the
//!    same function written by hand in Rust, with checked and with wrapping arithmetic;
//! b. every program of `benches/programs/` compiled untyped (`run(&mut vm)`) against the same
//!    source on the VM (`vm.eval_named`), output captured.
//!
//! `cargo run --release -p slight-bench-compiled -- [--runs N] [--only NAME]... [--path vm|compiled]`
//! Every figure is the minimum over N runs (default 5), runs interleaved. `--only typed-fib`
//! runs part a alone, `--only fib` (a program name) one program of part b, `--only lists-by-hand`
//! part c; `--path` runs only one side of part b (for a profiler:
//! `perf record ... -- --only fib --path compiled`).

use slight::{Value, Vm};
use std::hint::black_box;
use std::time::{Duration, Instant};

mod typed {
    include!(concat!(env!("OUT_DIR"), "/typed_fib.rs"));
}

macro_rules! programs {
    ($($module:ident = $name:literal),*) => {
        mod progs {
            $(pub mod $module { include!(concat!(env!("OUT_DIR"), "/prog_", $name, ".rs")); })*
        }
        const PROGRAMS: &[Program] = &[$(Program {
            name: $name,
            file: concat!("../programs/", $name, ".sl"),
            src: include_str!(concat!("../../programs/", $name, ".sl")),
            run: progs::$module::run,
        }),*];
    };
}

programs!(fib = "fib", loop_ = "loop", closures = "closures", lists = "lists", strings = "strings");

/// A program of `benches/programs/`: its name, the file name it was compiled under, its
/// source and the compiled module's `run`.
struct Program {
    name: &'static str,
    file: &'static str,
    src: &'static str,
    run: fn(&mut Vm) -> Result<slight::Value, slight::Error>,
}

#[cold]
#[inline(never)]
fn overflow() -> ! {
    panic!("integer overflow")
}

fn checked(v: Option<i64>) -> i64 {
    match v {
        Some(v) => v,
        None => overflow(),
    }
}

/// Hand-written, checked arithmetic (what the Slight semantics require).
fn fib_checked(n: i64) -> i64 {
    if n < 2 {
        n
    } else {
        checked(fib_checked(checked(n.checked_sub(1))).checked_add(fib_checked(checked(n.checked_sub(2)))))
    }
}

/// Hand-written, wrapping arithmetic (what `+` compiles to in a release build).
fn fib_plain(n: i64) -> i64 {
    if n < 2 {
        n
    } else {
        fib_plain(n.wrapping_sub(1)).wrapping_add(fib_plain(n.wrapping_sub(2)))
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let v = f();
    (t.elapsed(), v)
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64())
}

fn expected_output(src: &str) -> Option<&str> {
    src.lines().find_map(|l| l.split("Expected output:").nth(1)).and_then(|r| r.split_whitespace().next())
}

fn main() {
    let mut runs = 5usize;
    let mut only: Vec<String> = Vec::new();
    let mut path: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0).expect("--runs N"),
            "--only" => only.push(args.next().expect("--only NAME")),
            "--path" => path = Some(args.next().filter(|p| p == "vm" || p == "compiled").expect("--path vm|compiled")),
            _ => {
                eprintln!("usage: slight-bench-compiled [--runs N] [--only NAME]... [--path vm|compiled]");
                std::process::exit(2)
            }
        }
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with --release for meaningful figures");
    }
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("compiled-path benchmarks: minimum of {runs} runs, {cpus} CPUs\n");
    let mut ok = true;
    if only.is_empty() || only.iter().any(|o| o == "typed-fib") {
        // A fib(32) takes ~10 ms: cheap to repeat, and noisy.
        ok &= typed_fib(runs.max(20));
    }
    ok &= untyped(runs, &only, path.as_deref());
    if only.is_empty() || only.iter().any(|o| o == "lists-by-hand") {
        ok &= lists_floor(runs);
    }
    if !ok {
        std::process::exit(1);
    }
}

fn typed_fib(runs: usize) -> bool {
    const N: i64 = 32;
    const EXPECTED: i64 = 2_178_309;
    let mut best = [Duration::MAX; 3];
    let mut ok = true;
    for _ in 0..runs {
        let fs: [fn(i64) -> i64; 3] = [typed::fib, fib_checked, fib_plain];
        for (i, f) in fs.iter().enumerate() {
            let (d, v) = time(|| f(black_box(N)));
            ok &= v == EXPECTED;
            best[i] = best[i].min(d);
        }
    }
    println!("a. typed fib({N}): compiled Slight vs hand-written Rust (minimum of {runs} runs)\n");
    println!("| implementation | ms | compiled / this |");
    println!("|:---|---:|---:|");
    let rows =
        ["Slight `(defun fib:i64 (n:i64) ...)`, compiled", "Rust, checked arithmetic", "Rust, wrapping arithmetic"];
    for (row, d) in rows.iter().zip(best) {
        println!("| {row} | {} | {} |", ms(d), ratio(best[0], d));
    }
    println!();
    if !ok {
        println!("MISMATCH: a fib did not return {EXPECTED}");
    }
    ok
}

fn untyped(runs: usize, only: &[String], path: Option<&str>) -> bool {
    let selected: Vec<&Program> =
        PROGRAMS.iter().filter(|p| only.is_empty() || only.iter().any(|o| o == p.name)).collect();
    if selected.is_empty() {
        return true;
    }
    let mut ok = true;
    println!("b. untyped programs: compiled `run(&mut vm)` vs the VM `eval_named` (output captured)\n");
    println!("| program | VM ms | compiled ms | speedup |");
    println!("|:---|---:|---:|---:|");
    let mut geo = 0.0;
    for p in &selected {
        let (mut vm_best, mut rs_best) = (Duration::MAX, Duration::MAX);
        let mut outputs = Vec::new();
        for _ in 0..runs {
            if path != Some("compiled") {
                let mut vm = Vm::new();
                let out = vm.capture_output();
                let (d, r) = time(|| vm.eval_named(p.file, p.src));
                if let Err(e) = r {
                    println!("VM error in {}: {}", p.name, e.rendered);
                    ok = false;
                }
                vm_best = vm_best.min(d);
                outputs.push(("VM", out.borrow().clone()));
            }
            if path == Some("vm") {
                continue;
            }
            let mut vm = Vm::new();
            let out = vm.capture_output();
            let (d, r) = time(|| (p.run)(&mut vm));
            if let Err(e) = r {
                println!("compiled error in {}: {}", p.name, e.rendered);
                ok = false;
            }
            rs_best = rs_best.min(d);
            outputs.push(("compiled", out.borrow().clone()));
        }
        let expected = expected_output(p.src).unwrap_or("?");
        for (path, o) in &outputs {
            if o.trim() != expected {
                println!("MISMATCH in {} ({path}): printed {:?}, expected {expected}", p.name, o.trim());
                ok = false;
            }
        }
        geo += (vm_best.as_secs_f64() / rs_best.as_secs_f64()).ln();
        println!("| {} | {} | {} | {} |", p.name, ms(vm_best), ms(rs_best), ratio(vm_best, rs_best));
    }
    println!("| geometric mean | | | {:.2}x |", (geo / selected.len() as f64).exp());
    println!();
    ok
}

/// `benches/programs/lists.sl` written by hand in Rust over the runtime's own list cells
/// (`slight::Value`): the same allocations (`cons`, the reversed copy, dropping both), the same
/// checked sums, and none of the dispatch.
fn lists_by_hand(n: i64, rounds: i64) -> i64 {
    let int = |v: &Value| match v {
        Value::Int(i) => *i,
        _ => panic!("not an integer"),
    };
    let mut total = 0i64;
    for _ in 0..rounds {
        let mut built = Value::List(None);
        for i in 0..n {
            let Value::List(tail) = built else { unreachable!("a list") };
            built = Value::cons(Value::Int(i), tail);
        }
        let mut reversed = Value::List(None);
        for v in built.list_iter() {
            let Value::List(tail) = reversed else { unreachable!("a list") };
            reversed = Value::cons(v, tail);
        }
        drop(built);
        let walk = reversed.list_iter().fold(0i64, |acc, v| checked(acc.checked_add(int(&v))));
        let reduce = reversed.list_iter().fold(0i64, |acc, v| checked(acc.checked_add(int(&v))));
        total = checked(total.checked_add(checked(walk.checked_add(reduce))));
    }
    total
}

fn lists_floor(runs: usize) -> bool {
    let p = PROGRAMS.iter().find(|p| p.name == "lists").expect("the lists program");
    let (mut vm_best, mut hand_best) = (Duration::MAX, Duration::MAX);
    let mut ok = true;
    for _ in 0..runs {
        let mut vm = Vm::new();
        let _out = vm.capture_output();
        let (d, r) = time(|| vm.eval_named(p.file, p.src));
        ok &= r.is_ok();
        vm_best = vm_best.min(d);
        let (d, v) = time(|| lists_by_hand(black_box(1_000_000), black_box(3)));
        ok &= Some(v.to_string().as_str()) == expected_output(p.src);
        hand_best = hand_best.min(d);
    }
    println!("c. lists.sl by hand in Rust over `slight::Value` list cells vs the VM\n");
    println!("| implementation | ms | VM / this |");
    println!("|:---|---:|---:|");
    println!("| VM | {} | 1.00x |", ms(vm_best));
    println!("| Rust by hand, same list cells | {} | {} |", ms(hand_best), ratio(vm_best, hand_best));
    println!();
    if !ok {
        println!("MISMATCH: lists by hand or on the VM did not give the expected output");
    }
    ok
}
