//! Robustness: bad input must never panic, hang or crash the process (project rule: "Bad input
//! never panics. Malformed source, wrong types, deep recursion ... each gives a clear error with a
//! source position, and the program keeps going").
//!
//! Every case runs in a child process (this test binary re-run with `SLIGHT_ROBUSTNESS_CHILD`
//! set), on a thread with the default 2 MiB stack of spawned threads, so a Rust stack overflow
//! or an abort is reported as a failing test instead of killing the whole run. The cases are
//! hand-written adversarial programs plus a small deterministic fuzzer (token soup, random
//! trees of special forms and builtins, and mutations of valid programs).
//!
//! `cargo test --test robustness`; `FUZZ_CASES=200000 cargo test --test robustness fuzz` fuzzes
//! longer, `FUZZ_SEED=n` changes the seed.

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
            "fuzz" => fuzz_child(&src),
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
    // Without the sandbox's call_depth limit, so deep recursion reaches the VM's own frame
    // limit (a catchable StackOverflow), the machinery these tests are about.
    let mut vm = Vm::sandboxed();
    vm.set_limits(slight::Limits { call_depth: None, ..slight::Limits::sandboxed() });
    let _out = vm.capture_output();
    let result = vm.eval(src);
    let text = match &result {
        Ok(v) => format!("ok {}", truncate(&v.repr(), 2000)),
        Err(e) => format!(
            "err {}: {} @ {}",
            e.kind,
            truncate(&e.message, 2000),
            e.location.clone().unwrap_or_else(|| "NO-LOCATION".into())
        ),
    };
    drop(result);
    drop(vm);
    text
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

enum Outcome {
    /// The child finished; its one-line description (`ok ...`, `err ...`, `panic: ...`).
    Done(String),
    /// The child died (stack overflow, abort, signal); the tail of its stderr.
    Crash(String),
    Timeout,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Done(d) => f.write_str(d),
            Outcome::Crash(c) => write!(f, "CRASH {c}"),
            Outcome::Timeout => f.write_str("TIMEOUT (10 s)"),
        }
    }
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

fn show(src: &str) -> String {
    format!("program: {}", truncate(src, 200))
}

/// Runs every `(program, expectation)` in a child and reports all mismatches at once.
/// An expectation is `"ok <repr>"` for a value (`"ok *"`: any value), or
/// `"<Kind>: <message part>"` for an error that must also carry a source position.
fn check_all(cases: &[(&str, &str)]) {
    check_all_within(cases, Duration::from_secs(10));
}

/// [`check_all`] with more time per case (cases that build millions of values before a limit
/// stops them take seconds in a debug build, more on a loaded machine).
fn check_all_within(cases: &[(&str, &str)], timeout: Duration) {
    let mut failures = Vec::new();
    for (src, want) in cases {
        let got = run_child("eval", src, timeout);
        let ok = match (&got, want.strip_prefix("ok ")) {
            (Outcome::Done(d), Some("*")) => d.starts_with("ok "),
            (Outcome::Done(d), Some(v)) => d.strip_prefix("ok ") == Some(v),
            (Outcome::Done(d), None) => {
                let (kind, message) = want.split_once(": ").unwrap_or((want, ""));
                d.starts_with(&format!("err {kind}: ")) && d.contains(message) && !d.contains("NO-LOCATION")
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("{}\n    expected: {want}\n    got:      {got}", show(src)));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

// ------------------------------------------------------------------------------------------
// Malformed programs: every one is a positioned error (all pass today)
// ------------------------------------------------------------------------------------------

#[test]
fn special_forms_with_wrong_shapes() {
    let if_shape = "SyntaxError: if expects a test, a then branch and an optional else branch";
    check_all(&[
        ("(if)", if_shape),
        ("(if 1)", if_shape),
        ("(if 1 2 3 4)", if_shape),
        ("(let 5)", "SyntaxError: let expects a binding list like ((name value) ...), got 5"),
        ("(let ((1 2)) 3)", "SyntaxError: expected a name, got 1"),
        ("(let ((x 1 2)) x)", "SyntaxError: let binding must be (name value), got (x 1 2)"),
        ("(let)", "SyntaxError: let expects a binding list"),
        ("(fun 5)", "SyntaxError: expected a parameter list, got 5"),
        ("(fun)", "SyntaxError: fun expects a parameter list"),
        ("(fun (1) 1)", "SyntaxError: expected a name, got 1"),
        ("(fun (a . 1) 1)", "SyntaxError: expected a name, got 1"),
        ("(fun (a a) 1)", "SyntaxError: duplicate parameter a"),
        ("(lambda (x:badtype) x)", "SyntaxError: unknown type 'badtype'"),
        ("(defun)", "SyntaxError: defun expects a name"),
        ("(defun 5 () 1)", "SyntaxError: expected a name, got 5"),
        ("(defun f 1 2)", "SyntaxError: expected a parameter list, got 1"),
        ("(defvar x 1 2)", "SyntaxError: defvar expects a name and one value"),
        ("(def \"x\" 1)", "SyntaxError: expected a name, got \"x\""),
        ("(def x: 1)", "SyntaxError: unknown type ''"),
        ("(def :x 1)", "SyntaxError: expected a name, got :x"),
        ("(match)", "SyntaxError: match expects a value and clauses"),
        ("(match 1 ())", "SyntaxError: match clause must be (pattern body...), got ()"),
        ("(match 1 5)", "SyntaxError: match clause must be (pattern body...), got 5"),
        ("(match 1 ((list . x) x))", "MatchError: No match for value: 1"),
        ("(match 1)", "MatchError: No match for value: 1"),
        ("(try)", "ok nil"),
        ("(try 1 (catch e 2) (finally 3))", "ok 1"),
        ("(catch)", "NameError: Undefined symbol: catch"),
        ("(loop ((i 0)))", "ok nil"),
        ("(let (x) x)", "ok nil"),
        ("(try (catch))", "SyntaxError: catch expects a name for the error"),
        ("(try 1 (catch 5 2))", "SyntaxError: expected a name, got 5"),
        ("(try (finally 1) 2)", "SyntaxError: catch and finally must come last in try"),
        ("(try 1 (finally 2) (catch e 3))", "SyntaxError: catch and finally must come last in try"),
        ("(catch e 1)", "NameError: Undefined symbol: e"),
        ("(recur)", "SyntaxError: recur outside of loop"),
        ("(recur 1 2)", "SyntaxError: recur outside of loop"),
        ("(loop ((i 0)) (fun () (recur 1)))", "SyntaxError: recur outside of loop"),
        ("(loop ((i 0)) (+ 1 (recur i)))", "SyntaxError: recur must be in tail position of its loop"),
        ("(loop ((i 0)) (recur 1 2))", "SyntaxError: recur expects 1 arguments (the loop's bindings), got 2"),
        ("(loop 5)", "SyntaxError: loop expects a binding list"),
        ("(quote)", "SyntaxError: quote expects exactly one form"),
        ("(quote 1 2)", "SyntaxError: quote expects exactly one form"),
        ("(quasiquote)", "SyntaxError: quasiquote expects exactly one form"),
        ("(quasiquote 1 2)", "SyntaxError: quasiquote expects exactly one form"),
        ("(unquote 1)", "SyntaxError: unquote outside of quasiquote"),
        ("(unquote-splicing 1)", "SyntaxError: unquote-splicing outside of quasiquote"),
        (",x", "SyntaxError: unquote outside of quasiquote"),
        ("``,,,x", "SyntaxError: unquote outside of quasiquote"),
        ("`(1 ,@5)", "TypeError: list/append expects lists, got NUMBER"),
        ("`(,@(list 1 2) . 3)", "ok (1 2 . 3)"),
        ("`(1 2 . ,5)", "ok (1 2 . 5)"),
        ("(set!)", "SyntaxError: set! expects a name and a value"),
        ("(set! x)", "SyntaxError: set! expects a name and a value"),
        ("(set! 5 1)", "SyntaxError: set! expects a name, got 5"),
        ("(set! x 1)", "NameError: Cannot set! undefined variable: x"),
        ("(throw)", "SyntaxError: throw expects exactly one value"),
        ("(throw 1 2)", "SyntaxError: throw expects exactly one value"),
        ("(throw nil)", "Error: nil"),
        ("(eval 5)", "ok 5"),
        ("(eval '(eval '(eval 1)))", "ok 1"),
        ("(eval ''x)", "ok x"),
        ("(eval)", "SyntaxError: eval expects exactly one form"),
        ("(eval 1 2)", "SyntaxError: eval expects exactly one form"),
        ("(eval '(if))", if_shape),
        ("(eval '(1 . 2))", "SyntaxError: cannot evaluate a dotted list: (1 . 2)"),
        ("(eval (list 'quote))", "SyntaxError: quote expects exactly one form"),
        ("(eval (fun () 1))", "SyntaxError: cannot contain #<fun lambda/0>"),
        ("(eval (list (fun () 1)))", "SyntaxError: cannot contain #<fun lambda/0>"),
        ("(eval (error \"x\"))", "SyntaxError: cannot contain #<error Error: x>"),
        ("(1 . 2)", "SyntaxError: cannot evaluate a dotted list: (1 . 2)"),
        ("(. a)", "SyntaxError: cannot evaluate a dotted list: (. a)"),
        ("(5)", "TypeError: Not a function: 5"),
        ("(\"f\" 1)", "TypeError: Not a function: \"f\""),
        ("(nil)", "TypeError: Not a function: nil"),
        ("(() 1)", "TypeError: Not a function: ()"),
        ("(:kw 1)", "TypeError: Not a function: :kw"),
        ("[1 2]", "TypeError: Not a function: 1"),
        ("(let ((e 5)) e.message)", "TypeError: cannot read field message of NUMBER"),
        ("(try (head 1) (catch e e.nope))", "NameError: Error has no field nope"),
        ("(let ((x:i64 1.5)) x)", "TypeError: Type error: expected i64, got NUMBER"),
        ("(defun f:i64 () 1.5) (f)", "TypeError: Type error: expected i64, got NUMBER"),
        ("(defun f (x:str) x) (f 1)", "TypeError: Type error: expected str, got NUMBER"),
    ]);
}

/// `(quasiquote (unquote-splicing x))`: used to panic with "attempt to subtract with overflow"
/// in the expander (`` `,@,x ``) or to return the splice unevaluated. Fixed in slight-core.
#[test]
fn unquote_splicing_outside_a_list() {
    let msg = "SyntaxError: unquote-splicing (,@) must be an element of a list inside quasiquote";
    check_all(&[
        ("`,@,x", msg),
        ("`,@(list 1)", msg),
        ("`(1 . ,@(list 2))", msg),
        ("``(a ,,@(list 1 2))", "ok (quasiquote (a (unquote 1 2)))"),
        ("``(a ,,(+ 1 2))", "ok (quasiquote (a (unquote 3)))"),
    ]);
}

#[test]
fn reader_errors() {
    check_all(&[
        (")", "ReadError: unexpected ')'"),
        ("]", "ReadError: unexpected ']'"),
        ("(]", "ReadError: mismatched ']': expected ')'"),
        ("[)", "ReadError: mismatched ')': expected ']'"),
        ("(", "ReadError: unexpected end of input: unclosed '('"),
        ("(a . b c)", "ReadError: expected ')' after the tail of a dotted list"),
        ("(a . b . c)", "ReadError: expected ')' after the tail of a dotted list"),
        ("(a .", "ReadError: unexpected end of input"),
        ("'", "ReadError: unexpected end of input after 'quote' prefix"),
        ("(list ,@)", "ReadError: unexpected ')'"),
        ("#|", "ReadError: unterminated block comment"),
        ("#| a |# #|", "ReadError: unterminated block comment"),
        ("#| #| |#", "ReadError: unterminated block comment"),
        ("\"\\u{110000}\"", "ReadError: invalid unicode scalar value \\u{110000}"),
        ("\"\\u{d800}\"", "ReadError: invalid unicode scalar value \\u{d800}"),
        ("\"\\u{}\"", "ReadError: invalid unicode scalar value \\u{}"),
        ("\"\\u{1234567}\"", "ReadError: invalid unicode escape"),
        ("\"\\u1234\"", "ReadError: invalid unicode escape"),
        ("\"\\x\"", "ReadError: invalid escape \\x in string"),
        ("\"abc", "ReadError: unterminated string"),
        ("\"abc\\", "ReadError: unterminated string"),
        ("9223372036854775808", "ReadError: integer literal out of range"),
        ("-9223372036854775809", "ReadError: integer literal out of range"),
        ("0xfffffffffffffffff", "ReadError: invalid number"),
        ("0x", "ReadError: invalid number '0x'"),
        ("1.", "ReadError: invalid number '1.'"),
        ("1_", "ReadError: invalid number '1_'"),
        ("1__0", "ReadError: invalid number '1__0'"),
        ("1e", "ReadError: invalid number '1e'"),
        ("1abc", "ReadError: invalid number '1abc'"),
        (":", "ReadError: empty keyword"),
        ("#", "ReadError: unexpected character '#'"),
        ("{}", "ReadError: unexpected character '{'"),
        ("(list 1 2) \u{0}", "ReadError: unexpected character"),
        ("-0x8000000000000000", "ok -9223372036854775808"),
        ("1e999", "ok inf"),
        ("\"\u{1F600}\\u{1F600}\"", "ok \"\u{1F600}\u{1F600}\""),
    ]);
}

#[test]
fn integer_overflow_and_division() {
    let overflow = "ArithmeticError: integer overflow";
    let by_zero = "ArithmeticError: division by zero";
    check_all(&[
        ("(- -9223372036854775807 2)", overflow),
        ("(* 4611686018427387904 2)", overflow),
        ("(math/div -9223372036854775808 -1)", overflow),
        ("(math/mod -9223372036854775808 -1)", overflow),
        ("(mod -9223372036854775808 -1)", overflow),
        ("(- -9223372036854775808)", overflow),
        ("(+ 9223372036854775807 1)", overflow),
        ("(+ 9223372036854775807 1 2 3 4 5 6)", overflow),
        ("(* -1 -9223372036854775808)", overflow),
        ("(let ((x 9223372036854775807)) (+ x 1))", overflow),
        ("(let ((x -9223372036854775808)) (- x 1))", overflow),
        ("(loop ((i 9223372036854775800)) (recur (+ i 1)))", overflow),
        ("(apply * (list/range 1 100))", overflow),
        ("(math/div 1 0)", by_zero),
        ("(math/mod 1 0)", by_zero),
        ("(/ 0.0 0)", by_zero),
        ("(/ 0 0)", by_zero),
        ("(/ 0)", by_zero),
        ("(/ 1 0.0)", "ok inf"),
        ("(math/div 1.5 0)", "ok inf"),
        ("(math/mod 1.5 0.0)", "ok nan"),
        ("(== (/ 0.0 0.0) (/ 0.0 0.0))", "ok false"),
        ("(< (/ 0.0 0.0) 1)", "ok false"),
        ("(>= (/ 0.0 0.0) 1)", "ok false"),
        (
            "(list/range -9223372036854775808 9223372036854775807 9223372036854775807)",
            "ok (-9223372036854775808 -1 9223372036854775806)",
        ),
        ("(list/range 0 10 0)", "Error: list/range: step must not be 0"),
        ("(list/nth (list 1 2) 9223372036854775807)", "ok nil"),
        ("(list/nth (list 1 2) -9223372036854775808)", "ok nil"),
    ]);
}

#[test]
fn builtins_with_wrong_types_and_arity() {
    check_all(&[
        ("(apply + 5)", "TypeError: apply expects a list as its last argument, got NUMBER"),
        ("(apply)", "ArityError: Too few arguments: expected at least 2, got 0 (calling apply)"),
        ("(apply +)", "ArityError: Too few arguments: expected at least 2, got 1 (calling apply)"),
        ("(apply 5 '(1))", "TypeError: Not a function: 5"),
        ("(apply apply (list + (list 1 2)))", "ok 3"),
        ("(apply apply (list apply (list + (list (list 1 2)))))", "TypeError: + expects numbers, got LIST"),
        ("(head 5)", "TypeError: Type error: head expects a list as argument 1, got NUMBER"),
        ("(tail \"abc\")", "TypeError: Type error: tail expects a list as argument 1, got STRING"),
        ("(head)", "ArityError: Wrong number of arguments: expected 1, got 0 (calling head)"),
        ("(cons 1)", "ArityError: Wrong number of arguments: expected 2, got 1 (calling cons)"),
        ("(cons 1 2)", "TypeError: cons expects a list as its second argument, got NUMBER"),
        ("(empty? 5)", "TypeError: empty? expects a list as argument 1, got NUMBER"),
        ("(list/length 5)", "TypeError: list/length expects a list as argument 1, got NUMBER"),
        ("(list/map + 5)", "TypeError: list/map expects a list as argument 2, got NUMBER"),
        ("(list/reduce + 0 5)", "TypeError: list/reduce expects a list as argument 3, got NUMBER"),
        ("(list/map 'nope (list 1))", "TypeError: Not a function: nope"),
        ("(list/map 'head (list (list 1)))", "ok (1)"),
        ("(list/range 1.5)", "TypeError: list/range expects integers as argument 1, got NUMBER"),
        ("(string/length 5)", "TypeError: string/length expects a string as argument 1, got NUMBER"),
        ("(gensym 5)", "TypeError: gensym expects a string as argument 1, got NUMBER"),
        ("(error \"a\" 5)", "TypeError: error type must be a string, got NUMBER"),
        ("(error/message 5)", "TypeError: error/message expects an error as argument 1, got NUMBER"),
        ("(type/of)", "ArityError: Wrong number of arguments: expected 1, got 0 (calling type/of)"),
        ("(not 1 2)", "ArityError: Wrong number of arguments: expected 1, got 2 (calling not)"),
        ("(+ 1 \"a\")", "TypeError"),
        ("(< 1 \"a\")", "TypeError"),
        ("(< (list 1) (list 2))", "TypeError"),
        ("(- \"a\")", "TypeError"),
        ("(* nil 2)", "TypeError"),
        ("(+ 1 2 3 4 5 6 7 8 9 \"x\")", "TypeError"),
    ]);
}

// ------------------------------------------------------------------------------------------
// Deep nesting in source and in expansions (fixed in slight-core: nesting limit)
// ------------------------------------------------------------------------------------------

/// Used to overflow the Rust stack: the reader, expander, resolver and compiler recurse once
/// per level, from about 100 levels on (unoptimised build, 2 MiB stack).
#[test]
fn deep_nesting_in_source_is_a_read_error() {
    let n = 100_000;
    let too_deep = "ReadError: form nested too deeply (limit 128 levels)";
    let parens = format!("{}{}", "(".repeat(n), ")".repeat(n));
    let unclosed = "(".repeat(n);
    let quotes = format!("{}x", "'".repeat(n));
    let backquotes = format!("{}x", "`".repeat(n));
    let splices = format!("`{}x", ",@".repeat(n));
    let lists = format!("{}1{}", "(list ".repeat(n), ")".repeat(n));
    let data = format!("(quote {}{})", "(".repeat(n), ")".repeat(n));
    let vectors = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let comments = "#|".repeat(n);
    check_all(&[
        (&parens, too_deep),
        (&unclosed, too_deep),
        (&quotes, too_deep),
        (&backquotes, too_deep),
        (&splices, too_deep),
        (&lists, too_deep),
        (&data, too_deep),
        (&vectors, too_deep),
        (&comments, "ReadError: unterminated block comment"),
    ]);
}

/// Every shape of nesting, just under and well over the limit: a value or a clean error from
/// every pass, never a crash.
#[test]
fn nesting_up_to_the_limit_works_in_every_pass() {
    // (prefix, suffix, levels the reader counts per repetition)
    let shapes: &[(&str, &str, usize)] = &[
        ("(list ", ")", 1),
        ("(if true ", ")", 1),
        ("(when true ", ")", 1),
        ("(and true ", ")", 1),
        ("(begin 0 ", ")", 1),
        ("(+ 1 ", ")", 1),
        ("(+ 1 2 3 ", ")", 1),
        ("(- 9 ", ")", 1),
        ("(let ((x 1)) ", ")", 1),
        ("(let ((x ", ")) x)", 3),
        ("((fun (x) ", ") 1)", 2),
        ("(def x ", ")", 1),
        ("(try ", " (catch e 2))", 1),
        ("(match 1 (x ", "))", 2),
        ("(cond (true ", "))", 2),
        ("(cond (", "))", 2),
        ("(loop ((i 0)) ", ")", 1),
        ("(eval '", ")", 2),
        ("`(a ", ")", 2),
        ("`(a ,", ")", 3),
        ("(quote ", ")", 1),
    ];
    let mut cases = Vec::new();
    for (prefix, suffix, per) in shapes {
        let under = 100 / per;
        cases.push((format!("{}1{}", prefix.repeat(under), suffix.repeat(under)), "under"));
        let over = 300 / per;
        cases.push((format!("{}1{}", prefix.repeat(over), suffix.repeat(over)), "over"));
    }
    // The same through a macro, eval of a built form, and a long chain of macro expansions.
    let build =
        |head: &str, n: usize| format!("(loop ((i 0) (acc 1)) (if (< i {n}) (recur (+ i 1) (list '{head} acc)) acc))");
    cases.push((format!("(defmacro m () {}) (m)", build("list", 90)), "under"));
    cases.push((format!("(defmacro m () {}) (m)", build("list", 300)), "over"));
    cases.push((format!("(eval {})", build("list", 90)), "under"));
    cases.push((format!("(eval {})", build("list", 300)), "over"));
    cases.push((format!("(eval {})", build("-", 300)), "over"));
    cases.push(("(defmacro m (n) (if (< n 1) 0 (list '+ 1 (list 'm (- n 1))))) (m 40)".into(), "under"));
    cases.push(("(defmacro m (n) (if (< n 1) 0 (list '+ 1 (list 'm (- n 1))))) (m 300)".into(), "over"));
    let mut failures = Vec::new();
    for (src, want) in &cases {
        let got = eval_isolated(src);
        let ok = match (&got, *want) {
            (Outcome::Done(d), "under") => d.starts_with("ok "),
            (Outcome::Done(d), _) => d.contains("nested too deeply") && !d.contains("NO-LOCATION"),
            _ => false,
        };
        if !ok {
            failures.push(format!("{} ({want} the limit)\n    got: {got}", show(src)));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// Wide forms must not turn into deep trees (a long `cond` used to become one nested `if` per
/// clause, `(+ a b c ...)` one nested addition per argument; both overflowed the Rust stack
/// from about 200 elements). Fixed in slight-core.
#[test]
fn wide_forms() {
    let ones = |n: usize| vec!["1"; n].join(" ");
    let plus = format!("(+ {})", ones(300));
    let minus = format!("(- {})", ones(300));
    let times = format!("(* {})", ones(300));
    let names = |n: usize| (0..n).map(|i| format!("a{i}")).collect::<Vec<_>>().join(" ");
    let call300 = format!("((fun ({}) a299) {})", names(300), ones(300));
    let defun300 = format!("(defun f ({}) a299) (f {})", names(300), ones(300));
    let variadic = format!("((fun (. xs) (list/length xs)) {})", ones(300));
    let apply300 = format!("(apply (fun ({}) a299) (list/range 300))", names(300));
    let loop300 = format!("(loop ({}) a299)", (0..300).map(|i| format!("(a{i} {i})")).collect::<Vec<_>>().join(" "));
    let cond = format!(
        "(defun f (x) (cond {} (else :none))) (list (f 0) (f 4999) (f 5000))",
        (0..5000).map(|i| format!("((== x {i}) {i})")).collect::<Vec<_>>().join(" ")
    );
    let cond_no_else =
        format!("(cond {})", (0..2000).map(|i| format!("((== 1 {i}) {i})")).collect::<Vec<_>>().join(" "));
    let cond_mixed = format!(
        "(defun f (x) (cond {} ((and (> x 50) x)) {})) (list (f 0) (f 30) (f 60) (f 45))",
        (0..20).map(|i| format!("((== x {i}) {i})")).collect::<Vec<_>>().join(" "),
        (20..40).map(|i| format!("((== x {i}) {i})")).collect::<Vec<_>>().join(" ")
    );
    let cond_recur = format!(
        "(loop ((i 0)) (cond {} (else i)))",
        (0..40).map(|i| format!("((== i {i}) (recur (+ i 1)))")).collect::<Vec<_>>().join(" ")
    );
    let and = format!("(and {})", ones(100_000));
    let begin = format!("(begin {})", ones(100_000));
    let qq = format!("(list/length `({}))", (0..10_000).map(|i| format!(",{i}")).collect::<Vec<_>>().join(" "));
    let qq_dotted = format!("(list/length `({} . ,(list 1)))", ones(10_000));
    let pattern = format!("(match (list 1 2) ((list {}) 1) (_ 2))", names(300));
    let print = format!("(print {})", vec!["\"x\""; 300].join(" "));
    let deep_cond_tests = format!("(cond {})", vec!["(false)"; 1000].join(" "));
    check_all(&[
        (&plus, "ok 300"),
        (&minus, "ok -298"),
        (&times, "ok 1"),
        (&call300, "ok 1"),
        (&defun300, "ok 1"),
        (&variadic, "ok 300"),
        (&apply300, "ok 299"),
        (&loop300, "ok 299"),
        (&cond, "ok (0 4999 :none)"),
        (&cond_no_else, "ok 1"),
        (&cond_mixed, "ok (0 30 60 false)"),
        (&cond_recur, "ok 40"),
        (&and, "ok 1"),
        (&begin, "ok 1"),
        (&qq, "ok 10000"),
        (&qq_dotted, "ok 10001"),
        (&pattern, "ok 2"),
        (&print, "ok nil"),
        // test-only clauses need the test's value, so each one still nests
        (&deep_cond_tests, "SyntaxError: expression nested too deeply"),
    ]);
}

#[test]
fn huge_programs() {
    let quoted = format!("(list/length '({}))", (0..1_000_000).map(|i| i.to_string()).collect::<Vec<_>>().join(" "));
    let literal = format!("(list {})", vec!["1"; 100_000].join(" "));
    let string = format!("(string/length \"{}\")", "x".repeat(10_000_000));
    let names = |n: usize| (0..n).map(|i| format!("a{i}")).collect::<Vec<_>>().join(" ");
    let params = format!("((fun ({}) 1) {})", names(70_000), vec!["1"; 70_000].join(" "));
    let lets = |n: usize| format!("(let ({}) 1)", (0..n).map(|i| format!("(a{i} {i})")).collect::<Vec<_>>().join(" "));
    let many_forms = "(def x 1) ".repeat(100_000);
    check_all(&[
        (&quoted, "ok 1000000"),
        (&literal, "SyntaxError: function too large"),
        (&string, "ok 10000000"),
        (&params, "SyntaxError: too many local variables in one function"),
        (&lets(40_000), "SyntaxError: too many local variables in one function"),
        (&lets(29_000), "ok 1"),
        (&many_forms, "ok true"),
    ]);
}

// ------------------------------------------------------------------------------------------
// Macros
// ------------------------------------------------------------------------------------------

#[test]
fn macro_misuse() {
    check_all(&[
        ("(defmacro)", "SyntaxError: defmacro expects a name, a parameter list and a body"),
        ("(defmacro m)", "SyntaxError: defmacro expects a name, a parameter list and a body"),
        ("(defmacro 5 () 1)", "SyntaxError: defmacro expects a name, got 5"),
        ("(defmacro m 5)", "SyntaxError: expected a parameter list, got 5"),
        (
            "(defmacro m (x) x) (m)",
            "SyntaxError: error expanding macro m: Wrong number of arguments: expected 1, got 0",
        ),
        ("(defmacro m () (fun () 1)) (m)", "SyntaxError: macro m: a macro expansion cannot contain #<fun lambda/0>"),
        ("(defmacro m () (error \"boom\")) (m)", "SyntaxError: macro m: a macro expansion cannot contain #<error"),
        ("(defmacro m () (throw \"boom\")) (m)", "SyntaxError: error expanding macro m: boom"),
        ("(defmacro m () (head 5)) (m)", "SyntaxError: error expanding macro m: Type error: head expects a list"),
        ("(defmacro m () '(1 . 2)) (m)", "SyntaxError: cannot evaluate a dotted list: (1 . 2)"),
        ("(defmacro m () (list 'quote (list 1 2))) (m)", "ok (1 2)"),
        ("(defmacro m (. xs) (cons 'list xs)) (m 1 2 3)", "ok (1 2 3)"),
        ("(defmacro m () (gensym)) (m)", "NameError: Undefined symbol: g__1"),
        ("(defmacro m (x) (if (< x 10) (list 'm (+ x 1)) x)) (m 0)", "ok 10"),
        // A macro that expands to itself forever: used to overflow the Rust stack (each
        // expansion recursed); now iterative up to the expansion limit.
        ("(defmacro m () (list 'm)) (m)", "SyntaxError: macro expansion too deep (limit 1000) while expanding m"),
        ("(defmacro m () '(m)) (m)", "SyntaxError: macro expansion too deep (limit 1000) while expanding m"),
        ("(defmacro m () '(list (m))) (m)", "SyntaxError: expression nested too deeply"),
        ("(defmacro m () (list/map (fun (x) x) '(m))) (m)", "SyntaxError: macro expansion too deep"),
        // A macro whose code expands itself through eval: each level runs the VM again on the
        // Rust stack; used to overflow it. Now bounded (slight-core).
        ("(defmacro m () (eval '(m))) (m)", "SyntaxError: macro expansion nested too deeply"),
        (
            "(defmacro m (x) (if (< x 1000) (eval (list 'm (+ x 1))) x)) (m 0)",
            "SyntaxError: macro expansion nested too deeply",
        ),
        ("(defmacro m (x) (if (< x 10) (eval (list 'm (+ x 1))) x)) (m 0)", "ok 10"),
        // An expansion that grows a level each time (found by the fuzzer): used to overflow the
        // Rust stack converting ever deeper forms before the expansion limit was reached.
        (
            "(defmacro unless2 (c . body) `(unless2 if ,c nil (begin ,@body))) (unless2 false 1 2)",
            "SyntaxError: macro unless2: expansion nested too deeply",
        ),
    ]);
}

// ------------------------------------------------------------------------------------------
// Deep recursion: a catchable `stack overflow`, never a crash
// ------------------------------------------------------------------------------------------

#[test]
fn deep_recursion_is_a_catchable_error() {
    let overflow = "StackOverflow: stack overflow";
    check_all(&[
        ("(defun f (n) (if (== n 0) 0 (+ 1 (f (- n 1))))) (f 10000000)", overflow),
        ("(defun f (n) (+ 1 (f n))) (f 1)", overflow),
        ("(defun f (n) (try (+ 1 (f n)) (catch e (throw e)))) (f 1)", overflow),
        ("(defun f (n) (+ 1 (f n))) (try (f 1) (catch e (error/message e)))", "ok \"stack overflow\""),
        ("(defun f (n) (+ 1 (f n))) (try (f 1) (catch e 1)) (try (f 1) (catch e 2))", "ok 2"),
        ("(defun f (n) (+ 1 (apply f (list n)))) (f 1)", overflow),
        // (A self call through `apply` in tail position is a proper tail call: it loops.)
        ("(defun f (n) (if (== n 0) :done (apply f (list (- n 1))))) (f 1000000)", "ok :done"),
        ("(defun f (n) (+ 1 (g n))) (defun g (n) (+ 1 (apply f (list n)))) (f 1)", overflow),
        ("(defun f (n) (list/map (fun (x) (f x)) (list n))) (f 1)", overflow),
        ("(defun f (n) (list/reduce (fun (a x) (f x)) 0 (list n))) (f 1)", overflow),
        ("(defun f (n) (list/filter (fun (x) (f x)) (list n))) (f 1)", overflow),
        ("(defun f (n) (+ 1 (eval '(f n)))) (f 1)", overflow),
        ("(defun f () (eval '(f))) (f)", overflow),
        ("(def f (fun (n) (+ 1 ((fun (m) (f m)) n)))) (f 1)", overflow),
        ("(defun f (n) (if (== n 0) 0 (+ 1 (f (- n 1))))) (f 100000)", "ok 100000"),
        ("(defun f (n acc) (if (== n 0) acc (f (- n 1) (+ acc 1)))) (f 1000000 0)", "ok 1000000"),
    ]);
}

/// Calling a function through its quoted name (compat: `('f x)`, `(apply 'f ...)`,
/// `(list/map 'f ...)`) used to go through `call_non_closure` → `Host::call` → `call_value`, a
/// nested `Vm::run` on the Rust stack per level not counted against `MAX_FRAMES`: it crashed
/// with a Rust stack overflow (slight-runtime, vm/interp.rs).
#[test]
fn recursion_through_quoted_function_names() {
    let overflow = "StackOverflow: stack overflow";
    check_all(&[
        ("(defun f (n) (+ 1 ('f n))) (f 1)", overflow),
        ("(defun f (n) (if (== n 0) :done ('f (- n 1)))) (f 1000000)", "ok :done"),
        ("(defun f (n) (+ 1 (\"f\" n))) (f 1)", overflow),
        ("(defun f (n) (+ 1 (apply 'f (list n)))) (f 1)", overflow),
        ("(defun f (n) (list/map 'f (list n))) (f 1)", overflow),
    ]);
}

// ------------------------------------------------------------------------------------------
// Deeply nested data built at run time (slight-runtime: recursive drop, printing,
// equality and conversion of values)
// ------------------------------------------------------------------------------------------

/// `((((...))))` `n` levels deep, built by a loop.
fn deep_expr(n: usize) -> String {
    format!("(loop ((i 0) (acc nil)) (if (< i {n}) (recur (+ i 1) (list acc)) acc))")
}

/// Defines `deep` as [`deep_expr`].
fn deep_list(n: usize) -> String {
    format!("(def deep {})", deep_expr(n))
}

/// `Cons::drop` used to be iterative along the tail but recursive through the head: freeing a
/// list nested ~9,000 deep overflowed the Rust stack (slight-runtime, value.rs).
#[test]
fn dropping_deeply_nested_data() {
    check_all(&[
        (&format!("{} 1", deep_list(100_000)), "ok 1"),
        (&format!("{} (def deep nil) 1", deep_list(100_000)), "ok 1"),
        (&format!("(loop ((x {}) (n 0)) (if (empty? x) n (recur (head x) (+ n 1))))", deep_expr(100_000)), "ok 100000"),
    ]);
}

/// Printing used to recurse per level (~1,700 levels fit in 2 MiB): `print`, the REPL,
/// `string/concat` and error messages crashed (slight-runtime, value.rs). How deep data
/// prints is not checked here.
#[test]
fn printing_deeply_nested_data() {
    let d = deep_list(100_000);
    check_all(&[
        (&format!("{d} (print deep) 1"), "ok 1"),
        (&format!("{d} (string/length (string/concat deep))"), "ok *"),
        (&format!("{d} (try (throw deep) (catch e 1))"), "ok 1"),
        (&format!("{d} (string/length (string/concat (list deep)))"), "ok *"),
        (&format!("{d} deep"), "ok *"),
    ]);
}

/// Structural equality used to recurse per level: ~2,300 levels overflowed the Rust stack
/// (slight-runtime, value.rs).
#[test]
fn comparing_deeply_nested_data() {
    let d = deep_list(100_000);
    let d2 = deep_list(100_000).replace("(def deep", "(def deep2");
    check_all(&[(&format!("{d} {d2} (== deep deep2)"), "ok true"), (&format!("{d} {d2} (!= deep deep2)"), "ok false")]);
}

/// Maps (and objects) nested 100,000 deep, built in a loop, used to overflow the Rust stack
/// when freed, copied into a message, or compared (slight-runtime, value.rs and process.rs).
#[test]
fn deeply_nested_maps_and_objects() {
    let maps = "(def deep (loop ((i 0) (m (map/create))) (if (< i 100000) (recur (+ i 1) (map/create :m m)) m)))";
    let maps2 = maps.replace("(def deep", "(def deep2");
    let objects = "(defclass Box (inner))                    (def deep (loop ((i 0) (b nil)) (if (< i 100000) (recur (+ i 1) (new Box b)) b)))";
    check_all(&[
        (&format!("{maps} 1"), "ok 1"),
        (&format!("{maps} (def deep nil) 1"), "ok 1"),
        (&format!("{maps} {maps2} (== deep deep2)"), "ok true"),
        (&format!("{maps} (def m (map/create)) (map/set! m deep 1) (map/get m deep)"), "ok 1"),
        (&format!("{maps} (send (self) deep) (== (receive (x x)) deep)"), "ok true"),
        (&format!("{maps} (def p (spawn (fun (d) (map/size d)) deep)) 1"), "ok 1"),
        (&format!("{maps} (string/length (string/concat deep)) 1"), "ok 1"),
        (&format!("{maps} (print deep) 1"), "ok 1"),
        (&format!("{objects} 1"), "ok 1"),
        (&format!("{objects} (send (self) deep) (receive (x 1))"), "ok 1"),
        (&format!("{objects} (def deep nil) 2"), "ok 2"),
    ]);
}

/// Data that shares parts unfolds exponentially: a list holding the same sublist twice, 40
/// levels deep, is 2^40 elements when printed, flattened, converted to JSON or to code. Each
/// of these used to exhaust memory (the host aborts); equality took exponential time.
#[test]
fn data_that_shares_parts_does_not_unfold() {
    let dag = "(def d (loop ((l (list 1)) (n 0)) (if (< n 40) (recur (list l l) (+ n 1)) l)))";
    let dag2 = dag.replace("(def d", "(def d2");
    check_all_within(
        &[
            (
                &format!("{dag} (string/length (string/concat d))"),
                "LimitError: string_len limit (16777216 bytes) exceeded",
            ),
            (&format!("{dag} (print d)"), "LimitError: output limit (16777216 bytes) exceeded"),
            (&format!("{dag} {dag2} (== d d2)"), "ok true"),
            (&format!("{dag} (json/stringify d)"), "Error: json/stringify: more than 10000000 values"),
            (&format!("{dag} (list/flatten d)"), "LimitError: collection_len limit (4000000 elements) exceeded"),
            (&format!("{dag} (eval (list 'quote d))"), "SyntaxError: code too large (limit 1000000 nodes)"),
            (&format!("{dag} (send (self) d) (== (receive (x x)) d)"), "ok true"),
            (&format!("{dag} (def m (map/create :d d)) (send (self) (list m m)) (receive (x 1))"), "ok 1"),
            // A macro that doubles its expansion 24 times.
            (
                "(defmacro m (x n) (if (> n 0) `(m (,x ,x) ,(- n 1)) `(quote ,x))) (m 1 24)",
                "SyntaxError: macro m: code too large (limit 1000000 nodes)",
            ),
        ],
        Duration::from_secs(120),
    );
}

/// BUG (slight-runtime, convert.rs `value_to_sexp`): converting a run-time value to code (for
/// `eval` and macro expansions) recurses per level; ~700 levels overflow. It should reject
/// data nested deeper than `slight_core::reader::MAX_NESTING` (the expander then rejects deep
/// quoted data itself).
#[test]
fn evaluating_deeply_nested_data() {
    let d = deep_list(5000);
    check_all(&[
        (&format!("{d} (eval (list 'quote deep))"), "SyntaxError: nested too deeply"),
        (&format!("{d} (eval deep)"), "SyntaxError: nested too deeply"),
        (&format!("{d} (defmacro m () (list 'quote deep)) (m)"), "SyntaxError: nested too deeply"),
        (&format!("{d} (defmacro m (x) 1) (eval (list 'm (list 'quote deep)))"), "SyntaxError: nested too deeply"),
    ]);
}

/// BUG (slight-runtime, value.rs): a closure capturing a closure capturing a closure ...
/// is freed recursively (`Rc<Closure>` → captures → `Value::Func` → ...): ~100,000 levels
/// overflow the Rust stack, just by building the chain in a loop.
#[test]
fn dropping_deep_closure_chains() {
    let chain = "(def c (loop ((i 0) (f (fun () 0))) (if (< i 100000) (recur (+ i 1) (fun () (f))) f)))";
    let cells = "(def c (loop ((i 0) (f (fun () 0))) (if (< i 100000) \
                 (recur (+ i 1) (let ((g f)) (fun () (set! g 1) g))) f)))";
    check_all(&[
        (&format!("{chain} 1"), "ok 1"),
        // Each closure calls the next in tail position: the chain runs in one frame.
        (&format!("{chain} (c)"), "ok 0"),
        (&format!("{cells} 1"), "ok 1"),
    ]);
}

/// The embedding API turns misuse into errors too.
#[test]
fn embedding_api_errors() {
    let run = || {
        let mut vm = Vm::sandboxed();
        let _out = vm.capture_output();
        let mut seen = Vec::new();
        seen.push(vm.call("nope", &[]).map(|_| ()).unwrap_err().message.clone());
        seen.push(vm.call("head", &[slight::Value::Int(5)]).map(|_| ()).unwrap_err().message.clone());
        vm.eval("(defun two (a b) a) (def s \"str\")").unwrap();
        seen.push(vm.call("two", &[slight::Value::Int(1)]).map(|_| ()).unwrap_err().message.clone());
        seen.push(vm.call("s", &[]).map(|_| ()).unwrap_err().message.clone());
        seen.push(vm.get::<i64>("s").map(|_| ()).unwrap_err().message.clone());
        seen.push(vm.get::<i64>("missing").map(|_| ()).unwrap_err().message.clone());
        vm.register_fn("fails", |x: i64| if x > 0 { Err("positive") } else { Ok(x) });
        seen.push(vm.eval("(fails 1)").map(|_| ()).unwrap_err().message.clone());
        seen.push(vm.eval("(fails)").map(|_| ()).unwrap_err().message.clone());
        seen.push(vm.eval("(fails \"x\")").map(|_| ()).unwrap_err().message.clone());
        // After all that the VM still works.
        seen.push(vm.eval("(two 40 2)").map(|v| v.repr()).unwrap_or_else(|e| e.message.clone()));
        seen
    };
    let seen = std::thread::Builder::new().stack_size(STACK).spawn(run).expect("spawn").join().expect("no panic");
    let want = [
        "Undefined symbol: nope",
        "Type error: head expects a list as argument 1, got NUMBER",
        "Wrong number of arguments: expected 2, got 1",
        "Not a function: \"str\"",
        "expected i64, got STRING",
        "Undefined symbol: missing",
        "positive",
        "Wrong number of arguments: expected 1, got 0",
        "expected i64, got STRING",
        "40",
    ];
    for (got, want) in seen.iter().zip(want) {
        assert!(got.contains(want), "expected ...{want}..., got {got}");
    }
}

/// `list/range` pushes elements one by one and gives up only after 100,000,000 of them: a huge
/// range (found by the fuzzer) takes seconds and about 1.6 GB before the error.
/// BUG (slight-runtime, builtins/core.rs): the size should be checked before building anything
/// (the check takes microseconds; the child process itself starts in a few milliseconds).
#[test]
fn huge_ranges_fail_fast() {
    for src in ["(list/range 9223372036854775807)", "(list/range -9223372036854775808 9223372036854775807 1)"] {
        let start = Instant::now();
        let got = eval_isolated(src);
        let took = start.elapsed();
        assert!(
            matches!(&got, Outcome::Done(d) if d.contains("list/range: too many elements"))
                && took < Duration::from_millis(500),
            "{}\n    expected: a quick `too many elements` error\n    got: {got} after {took:?}",
            show(src)
        );
    }
}

// ------------------------------------------------------------------------------------------
// Error positions
// ------------------------------------------------------------------------------------------

/// Errors raised inside prelude functions (`list/map` and friends are written in Slight) must
/// point at the user's call, not into `<prelude>`, which the user never sees. The VM skips
/// prelude frames, but when the prelude function was called in tail position the caller's
/// frame is gone and the error is positioned in `<prelude>`.
/// BUG (slight-runtime, minor): tail calls of prelude functions.
#[test]
fn errors_in_prelude_functions_point_at_the_call() {
    let cases = [
        ("(begin (list/map 5 (list 1)) 1)", "Not a function: 5", "<eval>:1:8"),
        ("(defun g () (list/map 5 (list 1)) 1) (g)", "Not a function: 5", "<eval>:1:13"),
        ("(list/map 5 (list 1))", "Not a function: 5", "<eval>:1:1"),
        ("(list/map + 5)", "list/map expects a list", "<eval>:1:1"),
        ("(list/filter 1 (list 1))", "Not a function: 1", "<eval>:1:1"),
        ("(list/reduce + 0 5)", "list/reduce expects a list", "<eval>:1:1"),
        ("(defun g () (list/map 5 (list 1))) (g)", "Not a function: 5", "<eval>:1:13"),
    ];
    let mut failures = Vec::new();
    for (src, msg, at) in cases {
        match eval_isolated(src) {
            Outcome::Done(d) if d.contains(msg) && d.ends_with(&format!("@ {at}")) => {}
            other => failures.push(format!("{}\n    expected: ...{msg} @ {at}\n    got: {other}", show(src))),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ------------------------------------------------------------------------------------------
// Fuzzing
// ------------------------------------------------------------------------------------------

/// xorshift64* with a fixed seed per case, so every case can be regenerated from its index.
struct Rng(u64);

impl Rng {
    fn for_case(seed: u64, index: u64) -> Rng {
        // splitmix64 of (seed, index) so neighbouring cases are unrelated.
        let mut z = seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The expander's special forms plus clause keywords that only mean something inside them.
static SPECIAL_FORMS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(special_forms);

fn special_forms() -> Vec<&'static str> {
    let mut forms = slight::core::expander::SPECIAL_FORMS.to_vec();
    forms.extend_from_slice(&["catch", "finally", "new", "else"]);
    forms
}

const ATOMS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "42",
    "-0",
    "9223372036854775807",
    "-9223372036854775808",
    "4611686018427387904",
    "0.0",
    "-0.0",
    "1.5",
    "-2.5",
    "1e308",
    "1e-308",
    "1e999",
    "0xff",
    "1_000",
    "\"\"",
    "\"a\"",
    "\"héllo\"",
    "\"\\n\"",
    "\"\\u{1F600}\"",
    "\"(\"",
    "nil",
    "true",
    "false",
    ":a",
    ":when",
    ":else",
    ":message",
    "x",
    "y",
    "f",
    "g",
    "m",
    "e",
    "_",
    "xs",
    "e.message",
    "e.type",
    "x:i64",
    "x:str",
    "x:any",
    "()",
    "[]",
    "'x",
    "'()",
    "'(1 2)",
    "(list 1 2 3)",
    "(list)",
    "(fun (x) x)",
    "(error \"boom\")",
    "(/ 0.0 0.0)",
];

#[rustfmt::skip]
const SOUP: &[&str] = &[
    "(", "(", "(", ")", ")", ")", "[", "]", "'", "`", ",", ",@", ".", "#|", "|#", ";", "\n", "\"", "\\", ":",
    "\u{1F600}", "é", "\u{a0}", "\u{0}", "\\u{", "}", "#", "{", "\u{2028}",
];

/// Names of every global of a fresh VM: the builtins and the prelude.
fn builtin_names() -> Vec<String> {
    let vm = Vm::sandboxed();
    let mut names: Vec<String> = vm.global_names().map(str::to_string).filter(|n| !n.starts_with('%')).collect();
    names.sort();
    names
}

/// Valid programs the mutator starts from.
const CORPUS: &[&str] = &[
    "(defun fact (n) (if (<= n 1) 1 (* n (fact (- n 1))))) (fact 20)",
    "(list/reverse (list/range 5))",
    "(let ((x 1) (y (+ x 1))) (list x y))",
    "(defmacro unless2 (c . body) `(if ,c nil (begin ,@body))) (unless2 false 1 2)",
    "(match (list 1 2 3) ((list a b) a) ((a . rest) rest) (_ 0))",
    "(try (throw \"x\") (catch e (error/message e)) (finally 1))",
    "(def counter (let ((n 0)) (fun () (set! n (+ n 1)) n))) (counter) (counter)",
    "(list/reduce (fun (acc x) (+ acc x)) 0 (list/map (fun (x) (* x x)) (list/range 10)))",
    "(defun f (x) (eval '(set! x (+ x 1))) x) (f 1)",
    "(cond ((== 1 2) :a) ((> 3 2) :b) (else :c))",
    "`(1 ,(+ 1 1) ,@(list 3 4) . ,(list 5))",
    "((fun (a . rest) (apply + a rest)) 1 2 3)",
    "(string/concat \"a\" 1 (list 2) nil)",
    "(when (and 1 (or false 2)) (unless nil :yes))",
    "(defvar x:i64 5) (set! x (+ x 1)) (type/of x)",
    "(match 5 (x :when (> x 3) :big) (_ :small))",
];

struct Gen<'a> {
    rng: Rng,
    builtins: &'a [String],
    /// Names of functions defined so far; a body only calls earlier ones, so generated programs
    /// cannot recurse forever.
    defined: Vec<String>,
}

impl Gen<'_> {
    fn program(&mut self) -> String {
        match self.rng.below(10) {
            0..=4 => {
                let n = 1 + self.rng.below(4);
                let forms = (0..n).map(|_| self.toplevel()).collect::<Vec<_>>().join("\n");
                if self.rng.chance(50) {
                    // Give the free names of the generator something to refer to.
                    format!(
                        "(def x 1) (def y (list 1 2)) (def xs (list 3 4)) (def f (fun (a) a)) (def g list)\n{forms}"
                    )
                } else {
                    forms
                }
            }
            5..=7 => self.mutant(),
            _ => self.soup(),
        }
    }

    fn toplevel(&mut self) -> String {
        match self.rng.below(8) {
            0 => {
                let name = format!("f{}", self.defined.len());
                let body = self.expr(3);
                self.defined.push(name.clone());
                format!("(defun {name} (x y) {body})")
            }
            1 => {
                let body = self.expr(3);
                format!("(defmacro m{} (x . rest) {body})", self.rng.below(2))
            }
            2 => format!("(m{} {} {})", self.rng.below(2), self.expr(2), self.expr(2)),
            _ => self.expr(4),
        }
    }

    fn atom(&mut self) -> String {
        if !self.defined.is_empty() && self.rng.chance(10) {
            return self.defined[self.rng.below(self.defined.len())].clone();
        }
        match self.rng.below(10) {
            0..=1 => self.builtins[self.rng.below(self.builtins.len())].clone(),
            // Small, or far too big for `list/range` and friends: nothing legitimately slow.
            2 if self.rng.chance(50) => (self.rng.next() as i64 % 1000).to_string(),
            2 => (self.rng.next() as i64 >> self.rng.below(20)).to_string(),
            _ => self.rng.pick(ATOMS).to_string(),
        }
    }

    fn exprs(&mut self, depth: usize, max: usize) -> String {
        let n = self.rng.below(max + 1);
        (0..n).map(|_| self.expr(depth)).collect::<Vec<_>>().join(" ")
    }

    fn expr(&mut self, depth: usize) -> String {
        if depth == 0 || self.rng.chance(25) {
            return self.atom();
        }
        let d = depth - 1;
        let e = |g: &mut Self| g.expr(d);
        match self.rng.below(24) {
            0 => format!("(if {} {} {})", e(self), e(self), e(self)),
            1 => format!("(let (({} {}) ({} {})) {})", self.var(), e(self), self.var(), e(self), e(self)),
            2 => format!("(fun ({}) {})", self.params(), e(self)),
            3 => format!(
                "(loop ((i 0) ({} {})) (if (< i {}) (recur (+ i 1) {}) {}))",
                self.var(),
                e(self),
                self.rng.below(4),
                e(self),
                e(self)
            ),
            4 => format!("(try {} (catch e {}))", e(self), e(self)),
            5 => format!("(try {} (finally {}))", e(self), e(self)),
            6 => format!("(match {} ({} {}) (_ {}))", e(self), self.pattern(2), e(self), e(self)),
            7 => format!("(cond ({} {}) (else {}))", e(self), e(self), e(self)),
            8 => format!("`({} ,{} ,@{})", e(self), e(self), e(self)),
            9 => format!("(eval '{})", e(self)),
            10 => format!("(apply {} {} (list {}))", self.atom(), e(self), self.exprs(d, 3)),
            11 => format!("(set! {} {})", self.var(), e(self)),
            12 => format!("(throw {})", e(self)),
            13 => format!("(def {} {})", self.var(), e(self)),
            14 => format!("({} {})", self.rng.pick(&SPECIAL_FORMS), self.exprs(d, 3)),
            15 => format!("'{}", e(self)),
            16 => format!("(begin {})", self.exprs(d, 3)),
            _ => {
                let head = self.atom();
                format!("({head} {})", self.exprs(d, 3))
            }
        }
    }

    fn var(&mut self) -> String {
        // Never `i`, `+` or `<`: the generated loops count with them and must stay finite.
        self.rng.pick(&["x", "y", "z", "e", "x:i64", "y:str", "rest", "head", "if"]).to_string()
    }

    fn params(&mut self) -> String {
        self.rng.pick(&["", "x", "x y", ". xs", "x . xs", "x x", "x:i64 y:f64", "1", "(x)"]).to_string()
    }

    fn pattern(&mut self, depth: usize) -> String {
        if depth == 0 || self.rng.chance(40) {
            return self.rng.pick(&["_", "x", "y", "1", "\"a\"", ":k", "'sym", "nil", "()", "(list)"]).to_string();
        }
        let a = self.pattern(depth - 1);
        let b = self.pattern(depth - 1);
        match self.rng.below(3) {
            0 => format!("(list {a} {b})"),
            1 => format!("({a} . {b})"),
            _ => format!("({a} {b})"),
        }
    }

    /// A corpus program with a few tokens replaced, deleted, duplicated or inserted.
    fn mutant(&mut self) -> String {
        let base = self.rng.pick(CORPUS);
        let mut tokens = tokenize(base);
        for _ in 0..1 + self.rng.below(4) {
            if tokens.is_empty() {
                break;
            }
            let i = self.rng.below(tokens.len());
            match self.rng.below(5) {
                0 => {
                    tokens.remove(i);
                }
                1 => tokens[i] = self.atom(),
                2 => tokens.insert(i, self.rng.pick(SOUP).to_string()),
                3 => {
                    let t = tokens[self.rng.below(tokens.len())].clone();
                    tokens.insert(i, t);
                }
                _ => tokens.insert(i, self.expr(2)),
            }
        }
        tokens.join(" ")
    }

    fn soup(&mut self) -> String {
        let n = 1 + self.rng.below(30);
        let mut out = Vec::new();
        for _ in 0..n {
            let t = match self.rng.below(4) {
                0 => self.rng.pick(SOUP).to_string(),
                1 => self.rng.pick(&SPECIAL_FORMS).to_string(),
                _ => self.atom(),
            };
            out.push(t);
        }
        out.join(if self.rng.chance(50) { " " } else { "" })
    }
}

/// Splits source into parens, quote marks, strings and atoms (enough for mutation).
fn tokenize(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' | ')' | '[' | ']' | '\'' | '`' => out.push(c.to_string()),
            ',' if chars.peek() == Some(&'@') => {
                chars.next();
                out.push(",@".into());
            }
            ',' => out.push(",".into()),
            '"' => {
                let mut s = String::from('"');
                while let Some(c) = chars.next() {
                    s.push(c);
                    if c == '\\' {
                        s.extend(chars.next());
                    } else if c == '"' {
                        break;
                    }
                }
                out.push(s);
            }
            _ => {
                let mut s = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || "()[]'`,\"".contains(n) {
                        break;
                    }
                    s.push(n);
                    chars.next();
                }
                out.push(s);
            }
        }
    }
    out
}

fn fuzz_case(seed: u64, index: u64, builtins: &[String]) -> String {
    Gen { rng: Rng::for_case(seed, index), builtins, defined: Vec::new() }.program()
}

/// How long one fuzz case may run before it counts as a hang.
const FUZZ_CASE_LIMIT: Duration = Duration::from_secs(3);

/// Child side of the fuzzer: runs cases `start..end` (input `"seed start end"`), each on a
/// fresh sandboxed VM the way the CLI's `--echo` mode does (keep going after errors). Writes
/// `@@CASE i` to stderr before each case (so the parent knows which one crashed) and one line
/// per finding to the outcome. A watchdog ends the process when a case runs too long.
fn fuzz_child(input: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let nums: Vec<u64> = input.split_whitespace().map(|t| t.parse().expect("number")).collect();
    let [seed, start, end] = nums[..] else { panic!("bad fuzz input") };
    let builtins = builtin_names();
    let started = Instant::now();
    // (case index + 1, start time in ms since `started`); 0 = idle.
    let current = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
    let watched = current.clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(100));
        let case = watched.0.load(Ordering::SeqCst);
        let since = watched.1.load(Ordering::SeqCst);
        if case != 0 && started.elapsed().as_millis() as u64 - since > FUZZ_CASE_LIMIT.as_millis() as u64 {
            eprintln!("@@HANG {}", case - 1);
            std::process::exit(3);
        }
    });
    let mut findings = Vec::new();
    for i in start..end {
        let src = fuzz_case(seed, i, &builtins);
        eprintln!("@@CASE {i}");
        current.1.store(started.elapsed().as_millis() as u64, Ordering::SeqCst);
        current.0.store(i + 1, Ordering::SeqCst);
        let r = catch_unwind(AssertUnwindSafe(|| {
            let mut vm = Vm::sandboxed();
            let _out = vm.capture_output();
            let outcome = slight::runner::run_source(&mut vm, "<fuzz>", &src, true);
            let mut problems = Vec::new();
            for e in &outcome.errors {
                if e.location.is_none() {
                    problems.push(format!("error without a position: {}: {}", e.kind, e.message));
                }
            }
            // The VM must still work after whatever the program did.
            match vm.eval("3") {
                Ok(slight::Value::Int(3)) => {}
                other => problems.push(format!("VM unusable afterwards: {other:?}")),
            }
            problems
        }));
        current.0.store(0, Ordering::SeqCst);
        let problems = match r {
            Ok(p) => p,
            Err(p) => vec![format!("panic: {}", panic_message(&p))],
        };
        for p in problems {
            findings.push(format!("@@FINDING {i} {}", p.replace('\n', " ")));
        }
    }
    findings.push("@@DONE".into());
    findings.join("\n")
}

/// Random programs never panic, crash, hang, lose their error positions or break the VM.
#[test]
fn fuzz_random_programs() {
    let cases: u64 = std::env::var("FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let seed: u64 = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x51_1647);
    let builtins = builtin_names();
    let mut findings: Vec<(u64, String)> = Vec::new();
    let mut start = 0;
    let mut restarts = 0;
    while start < cases && restarts < 20 {
        let exe = std::env::current_exe().expect("current exe");
        let out = Command::new(exe)
            .args(["child_entry", "--exact", "--nocapture", "--test-threads=1", "-q"])
            .env(CHILD_ENV, "fuzz")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                child.stdin.take().expect("stdin").write_all(format!("{seed} {start} {cases}").as_bytes())?;
                child.wait_with_output()
            })
            .expect("run fuzz child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in stdout.lines().filter_map(|l| l.strip_prefix("@@FINDING ")) {
            let (i, what) = line.split_once(' ').unwrap_or((line, ""));
            findings.push((i.parse().unwrap_or(0), what.to_string()));
        }
        if stdout.contains("@@DONE") {
            break;
        }
        // The child died or hung: blame the last case it started, and go on after it.
        let last = stderr.lines().rev().find_map(|l| l.strip_prefix("@@CASE ")).and_then(|i| i.parse().ok());
        let Some(last) = last else {
            panic!("fuzz child failed before running a case: {}\n{stderr}", out.status);
        };
        let symptom = if stderr.contains("@@HANG") {
            let src = fuzz_case(seed, last, &builtins);
            if src.contains("fact") {
                // A mutant of the recursive `fact` that no longer ends is a legitimate program.
                // (Generated loops cannot run forever: their counter cannot be assigned.)
                println!("note: case {last} runs forever (a loop): {}", truncate(&src, 200));
                start = last + 1;
                restarts += 1;
                continue;
            }
            format!("hang (> {FUZZ_CASE_LIMIT:?})")
        } else {
            let tail: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("@@")).collect();
            format!(
                "crash ({}): {}",
                out.status,
                tail.iter().rev().take(3).rev().cloned().collect::<Vec<_>>().join(" | ")
            )
        };
        findings.push((last, symptom));
        start = last + 1;
        restarts += 1;
    }
    if findings.is_empty() {
        return;
    }
    let report: Vec<String> = findings
        .iter()
        .take(15)
        .map(|(i, what)| format!("case {i}: {what}\n    program: {}", truncate(&fuzz_case(seed, *i, &builtins), 400)))
        .collect();
    panic!("{} fuzz findings (seed {seed}); first ones:\n{}", findings.len(), report.join("\n"));
}
