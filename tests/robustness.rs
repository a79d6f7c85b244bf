//! Robustness: bad input must never panic, hang or crash the process (project rule: "Bad input
//! never panics. Malformed source, wrong types, deep recursion ... each gives a clear error with a
//! source position, and the program keeps going").
//!
//! Every case runs in a child process (this test binary re-run with `SLIGHT_ROBUSTNESS_CHILD`
//! set), on a thread with the default 2 MiB stack of spawned threads, so a Rust stack overflow
//! or an abort is reported as a failing test instead of killing the whole run. The cases are
//! hand-written adversarial programs plus a small deterministic fuzzer (token soup and random
//! well-formed trees).

use slight::Vm;
use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in a child process: which kind of run to do (`eval`, `fuzz`, ...).
const CHILD_ENV: &str = "SLIGHT_ROBUSTNESS_CHILD";
/// Stack of the thread a child runs its case on: what `std::thread::spawn` gives by default.
const STACK: usize = 2 << 20;
const BEGIN: &str = "@@OUTCOME-BEGIN@@";
const END: &str = "@@OUTCOME-END@@";

// ------------------------------------------------------------------------------------------
// Child side
// ------------------------------------------------------------------------------------------

/// Not a real test: the entry point of child processes. Does nothing in a normal run.
#[test]
fn child_entry() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut src = String::new();
    std::io::stdin().read_to_string(&mut src).expect("read stdin");
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        eprintln!("@@PANIC@@ {msg}");
    }));
    let handle = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || match mode.as_str() {
            "eval" => describe(catch_unwind(AssertUnwindSafe(|| eval_described(&src)))),
            "fuzz" => String::new(),
            "read" | "expand" | "resolve" | "compile" => {
                describe(catch_unwind(AssertUnwindSafe(|| stage(&mode, &src))))
            }
            other => format!("unknown mode {other}"),
        })
        .expect("spawn");
    let text = handle.join().unwrap_or_else(|_| "panic (thread)".into());
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\n{BEGIN}\n{text}\n{END}");
    let _ = out.flush();
}

fn describe(r: std::thread::Result<String>) -> String {
    match r {
        Ok(s) => s,
        Err(p) => format!("panic: {}", panic_message(&p)),
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".into()
    }
}

/// Evaluates `src` on a fresh sandboxed VM and describes the outcome in one line:
/// `ok <repr>` or `err <Kind>: <message> @ <location>`. The value and the VM are dropped before
/// the description is returned, so a crash while freeing them is caught too.
fn eval_described(src: &str) -> String {
    let mut vm = Vm::sandboxed();
    let _out = vm.capture_output();
    let result = vm.eval(src);
    let text = match &result {
        Ok(v) => format!("ok {}", truncate(&v.repr(), 300)),
        Err(e) => format!(
            "err {}: {} @ {}",
            e.kind,
            truncate(&e.message, 300),
            e.location.clone().unwrap_or_else(|| "NO-LOCATION".into())
        ),
    };
    drop(result);
    drop(vm);
    text
}

/// Runs the pipeline up to `upto` (`read`, `expand`, `resolve` or `compile`) on every form.
fn stage(upto: &str, src: &str) -> String {
    use slight::core::expander::{expand, NoMacros};
    use slight::core::resolver::resolve_toplevel;
    use slight::core::{GlobalNames, Reader};
    let forms = match Reader::read_all(src, 0) {
        Ok(f) => f,
        Err(e) => return format!("err {}: {}", e.kind.type_name(), e.message),
    };
    let mut vm = Vm::sandboxed();
    let mut globals = GlobalNames::new();
    for form in &forms {
        let r = match upto {
            "read" => Ok(()),
            "expand" => expand(form, &mut NoMacros).map(drop).map_err(|e| e.message),
            "resolve" => expand(form, &mut NoMacros)
                .and_then(|mut e| resolve_toplevel(&mut e, &mut globals, None))
                .map(drop)
                .map_err(|e| e.message),
            _ => vm.compile_form(form).map(drop).map_err(|e| e.message.clone()),
        };
        if let Err(m) = r {
            return format!("err {m}");
        }
    }
    "ok".into()
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

// ------------------------------------------------------------------------------------------
// Parent side
// ------------------------------------------------------------------------------------------

#[derive(Debug)]
enum Outcome {
    /// The child finished; its one-line description (`ok ...`, `err ...`, `panic: ...`).
    Done(String),
    /// The child died (stack overflow, abort, signal); the tail of its stderr.
    Crash(String),
    Timeout,
}

fn run_child(mode: &str, input: &str, timeout: Duration) -> Outcome {
    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1", "-q"])
        .env(CHILD_ENV, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = writer.join();
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let Some(status) = status else {
        return Outcome::Timeout;
    };
    let body = out.split_once(BEGIN).and_then(|(_, rest)| rest.split_once(END)).map(|(b, _)| b.trim().to_string());
    match body {
        Some(b) if status.success() => {
            // A panic caught by catch_unwind is still a bug; the hook wrote where it happened.
            match err.lines().find(|l| l.starts_with("@@PANIC@@")) {
                Some(p) if b.starts_with("panic") => Outcome::Done(format!("{b} [{p}]")),
                _ => Outcome::Done(b),
            }
        }
        _ => {
            let tail: Vec<&str> = err.lines().rev().take(6).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Outcome::Crash(format!("{status}: {}", tail.join(" | ")))
        }
    }
}

/// Evaluates `src` in a child process (10 s limit) and returns the outcome line.
fn eval_isolated(src: &str) -> Outcome {
    run_child("eval", src, Duration::from_secs(10))
}

/// Asserts that `src` ends in an error of `kind` whose message contains `message` and that
/// carries a source position.
#[track_caller]
fn expect_error(src: &str, kind: &str, message: &str) {
    match eval_isolated(src) {
        Outcome::Done(d) => {
            let ok = d.starts_with(&format!("err {kind}: ")) && d.contains(message) && !d.contains("NO-LOCATION");
            assert!(ok, "{}\n  expected: error {kind}: ...{message}... with a position\n  got: {d}", show(src));
        }
        other => panic!("{}\n  expected: error {kind}: ...{message}...\n  got: {other:?}", show(src)),
    }
}

/// Asserts that `src` evaluates to a value whose REPL form is `repr`.
#[track_caller]
fn expect_value(src: &str, repr: &str) {
    match eval_isolated(src) {
        Outcome::Done(d) => assert_eq!(d, format!("ok {repr}"), "{}", show(src)),
        other => panic!("{}\n  expected: {repr}\n  got: {other:?}", show(src)),
    }
}

fn show(src: &str) -> String {
    format!("program: {}", truncate(src, 200))
}

#[test]
#[ignore]
fn explore_depths() {
    let shapes: Vec<(&str, Box<dyn Fn(usize) -> String>)> = vec![
        ("parens", Box::new(|n| format!("{}{}", "(".repeat(n), ")".repeat(n)))),
        ("list", Box::new(|n| format!("{}1{}", "(list ".repeat(n), ")".repeat(n)))),
        ("quote", Box::new(|n| format!("'{}1{}", "(".repeat(n), ")".repeat(n)))),
        ("if", Box::new(|n| format!("{}1{}", "(if 1 ".repeat(n), ")".repeat(n)))),
        ("plus", Box::new(|n| format!("(+ {})", "1 ".repeat(n)))),
        ("cond", Box::new(|n| format!("(cond {})", "(false 1) ".repeat(n)))),
    ];
    for mode in std::env::var("MODES").unwrap_or("read,expand,resolve,compile,eval".into()).split(",") {
        for (name, f) in &shapes {
            let mut lo = 1;
            let mut hi = 200_000;
            while lo + 1 < hi {
                let mid = (lo + hi) / 2;
                match run_child(mode, &f(mid), Duration::from_secs(20)) {
                    Outcome::Crash(_) | Outcome::Timeout => hi = mid,
                    Outcome::Done(_) => lo = mid,
                }
            }
            println!("{mode:8} {name:8} max ok depth {lo}");
        }
    }
}
