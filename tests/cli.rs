//! Integration tests for the `slight` command-line tool: runs the built binary on programs written
//! to a temporary directory and checks stdout, stderr and the exit status of `run`, `run --echo`,
//! `-e`, `disasm`, `expand` and the REPL reading from a pipe.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scratch directory, removed when dropped. Commands run inside it, so file names in
/// diagnostics are the short relative names the tests write.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("slight-cli-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, contents: &str) -> &TempDir {
        std::fs::write(self.0.join(name), contents).expect("write test file");
        self
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one run of the binary produced.
struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit code: {:?}\n--- stdout ---\n{}--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs `slight ARGS` in `dir`, feeding `stdin` (or nothing) to it. `HOME` points at the temp dir
/// so the REPL's history file does not touch the real home directory.
fn slight(dir: &TempDir, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slight"))
        .args(args)
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start slight");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
        // Dropping `input` closes the pipe: the REPL sees end of input.
    }
    let out = child.wait_with_output().expect("wait for slight");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

/// Asserts that `stderr` shows `source_line` followed by a caret line whose first `^` sits under
/// column `col` (1-based) of that source line.
fn assert_caret(run: &Run, source_line: &str, col: usize) {
    let lines: Vec<&str> = run.stderr.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.ends_with(source_line))
        .unwrap_or_else(|| panic!("source line {source_line:?} not shown:\n{run:?}"));
    let shown: Vec<char> = lines[i].chars().collect();
    let text_start = shown.len() - source_line.chars().count();
    let caret: Vec<char> = lines.get(i + 1).unwrap_or_else(|| panic!("no caret line:\n{run:?}")).chars().collect();
    let caret_at = caret.iter().position(|&c| c == '^').unwrap_or_else(|| panic!("no caret:\n{run:?}"));
    assert_eq!(caret_at, text_start + col - 1, "caret not under column {col}:\n{run:?}");
}

// ---- slight run ----

#[test]
fn run_prints_program_output_and_exits_zero() {
    let dir = TempDir::new("run-ok");
    dir.write("ok.sl", "(print \"hello\" 42)\n(def x 10)\n(print (list x (+ x 1)))\n(+ x 1)\n");
    let run = slight(&dir, &["run", "ok.sl"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    // The value of the last form is not printed by `run`.
    assert_eq!(run.stdout, "hello 42\n(10 11)\n", "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
}

#[test]
fn run_uncaught_error_is_rendered_on_stderr_with_exit_1() {
    let dir = TempDir::new("run-err");
    dir.write("bad.sl", "(print \"before\")\n(defun f (x)\n  (+ x \"a\"))\n(print (f 1))\n(print \"after\")\n");
    let run = slight(&dir, &["run", "bad.sl"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    // Output before the error is kept; the program stops at the error.
    assert_eq!(run.stdout, "before\n", "{run:?}");
    assert!(run.stderr.starts_with("error[TypeError]: Type error: + expects numbers, got STRING\n"), "{run:?}");
    assert!(run.stderr.contains("bad.sl:3:3"), "location missing:\n{run:?}");
    assert_caret(&run, "  (+ x \"a\"))", 3);
    // The Slight stack names the function and its caller.
    assert!(run.stderr.contains("at f (bad.sl:3:3)"), "{run:?}");
    assert!(run.stderr.contains("at <toplevel> (bad.sl:4:8)"), "{run:?}");
}

#[test]
fn run_undefined_symbol_error() {
    let dir = TempDir::new("run-name");
    dir.write("name.sl", "(print 1)\n\n   (frobnicate 2)\n");
    let run = slight(&dir, &["run", "name.sl"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "1\n", "{run:?}");
    assert!(run.stderr.starts_with("error[NameError]: Undefined symbol: frobnicate\n"), "{run:?}");
    assert!(run.stderr.contains("name.sl:3:4"), "{run:?}");
    assert_caret(&run, "   (frobnicate 2)", 4);
}

#[test]
fn run_read_error_is_rendered_with_location() {
    let dir = TempDir::new("run-read");
    dir.write("unbalanced.sl", "(print 1)\n(print (+ 1 2)\n");
    let run = slight(&dir, &["run", "unbalanced.sl"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    // Streaming: the complete first form runs before the reader reaches the bad one.
    assert_eq!(run.stdout, "1\n", "{run:?}");
    assert!(run.stderr.starts_with("error[ReadError]: unexpected end of input"), "{run:?}");
    assert!(run.stderr.contains("unbalanced.sl:2:1"), "{run:?}");
    assert_caret(&run, "(print (+ 1 2)", 1);
}

#[test]
fn run_caught_error_is_not_a_failure() {
    let dir = TempDir::new("run-try");
    dir.write("try.sl", "(print (try (+ 1 \"a\") (catch e (error/type e))))\n(throw \"late\")\n");
    let run = slight(&dir, &["run", "try.sl"], None);
    assert_eq!(run.stdout, "TypeError\n", "{run:?}");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.starts_with("error[Error]: late\n"), "{run:?}");
    assert!(run.stderr.contains("try.sl:2:1"), "{run:?}");
}

// ---- slight run --echo ----

#[test]
fn run_echo_prints_each_result_and_continues_after_errors() {
    let dir = TempDir::new("echo");
    dir.write(
        "echo.sl",
        "(def x 10)\n(+ x 1)\n(+ x \"a\")\n(print \"after\")\n(undefined-thing)\n(string/concat \"a\" \"b\")\n(* x 2)\n",
    );
    let run = slight(&dir, &["run", "--echo", "echo.sl"], None);
    assert_eq!(
        run.stdout,
        "=> true\n=> 11\n!! Type error: + expects numbers, got STRING\nafter\n=> nil\n\
         !! Undefined symbol: undefined-thing\n=> \"ab\"\n=> 20\n",
        "{run:?}"
    );
    assert_eq!(run.code, Some(1), "a failed form makes the exit status 1:\n{run:?}");
    // The failing forms are also rendered in full on stderr.
    assert!(run.stderr.contains("error[TypeError]: Type error: + expects numbers, got STRING"), "{run:?}");
    assert!(run.stderr.contains("echo.sl:3:1"), "{run:?}");
    assert!(run.stderr.contains("error[NameError]: Undefined symbol: undefined-thing"), "{run:?}");
    assert!(run.stderr.contains("echo.sl:5:1"), "{run:?}");
}

#[test]
fn run_echo_without_errors_exits_zero() {
    let dir = TempDir::new("echo-ok");
    dir.write("echo.sl", "(defun sq (x) (* x x))\n(sq 7)\n(list 1 2.5 \"s\" :k nil)\n");
    let run = slight(&dir, &["run", "--echo", "echo.sl"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "=> true\n=> 49\n=> (1 2.5 \"s\" :k nil)\n", "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
}

// ---- slight -e ----

#[test]
fn eval_flag_prints_the_result() {
    let dir = TempDir::new("e-ok");
    let run = slight(&dir, &["-e", "(+ 1 2)"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "3\n", "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");

    // Several forms: output in order, then the value of the last one (in REPL form).
    let run = slight(&dir, &["-e", "(print \"x\") (string/concat \"a\" \"b\")"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "x\n\"ab\"\n", "{run:?}");
}

#[test]
fn eval_flag_error_exits_1() {
    let dir = TempDir::new("e-err");
    let run = slight(&dir, &["-e", "(/ 1 \"x\")"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert!(run.stderr.starts_with("error[TypeError]:"), "{run:?}");
    assert!(run.stderr.contains("<-e>:1:1"), "{run:?}");
    assert_caret(&run, "(/ 1 \"x\")", 1);

    let run = slight(&dir, &["-e", "(nope 1)"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.starts_with("error[NameError]: Undefined symbol: nope\n"), "{run:?}");

    let run = slight(&dir, &["-e", "(+ 1"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.starts_with("error[ReadError]:"), "{run:?}");
}

// ---- slight disasm ----

#[test]
fn disasm_lists_instructions_with_source_lines() {
    let dir = TempDir::new("disasm");
    dir.write("prog.sl", "(defun f (x)\n  (let ((y (* x 2)))\n    (print y)\n    (+ y 1)))\n(print \"not run\")\n");
    let run = slight(&dir, &["disasm", "prog.sl"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
    let out = &run.stdout;
    // Disassembling does not run the program.
    assert!(!out.lines().any(|l| l == "not run"), "{run:?}");
    // One section per function: the top-level forms and `f`, with their positions.
    assert!(out.contains("== <toplevel>") && out.contains("at prog.sl:1:1"), "{run:?}");
    let f_at = out.find("== f ").unwrap_or_else(|| panic!("no section for f:\n{run:?}"));
    assert!(out.contains("at prog.sl:5:1"), "{run:?}");
    // Inside f, the source lines of the body appear in order, each followed by instructions.
    let f_section = &out[f_at..];
    let f_section = &f_section[..f_section.find("\n\n").unwrap_or(f_section.len())];
    let mut last = 0;
    for line in ["2 |   (let ((y (* x 2)))", "3 |     (print y)", "4 |     (+ y 1)))"] {
        let at = f_section.find(line).unwrap_or_else(|| panic!("source line {line:?} missing:\n{run:?}"));
        assert!(at > last, "source lines out of order:\n{run:?}");
        last = at;
        let next = f_section[at..].lines().nth(1).unwrap_or("");
        assert!(next.trim_start().starts_with(|c: char| c.is_ascii_digit()), "no instruction after {line:?}:\n{run:?}");
    }
    assert!(f_section.contains("Return"), "{run:?}");
}

#[test]
fn disasm_sees_macros_defined_earlier() {
    let dir = TempDir::new("disasm-macro");
    dir.write("m.sl", "(defmacro twice (e) `(begin ,e ,e))\n(twice (print 1))\n");
    let run = slight(&dir, &["disasm", "m.sl"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("== twice"), "{run:?}");
    assert!(run.stdout.contains("2 | (twice (print 1))"), "{run:?}");
    assert!(!run.stdout.lines().any(|l| l == "1"), "disasm ran the program:\n{run:?}");
}

// ---- slight expand ----

#[test]
fn expand_to_sexp_prints_the_forms_as_read() {
    let dir = TempDir::new("expand-sexp");
    dir.write("e.sl", "; a comment\n(def q 'x)\n(defun  add1 (x)\n   (+ x 1))\n");
    let run = slight(&dir, &["expand", "--to", "sexp", "e.sl"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "(def q (quote x))\n(defun add1 (x) (+ x 1))\n", "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
}

#[test]
fn expand_to_core_prints_expanded_forms() {
    let dir = TempDir::new("expand-core");
    dir.write("e.sl", "(defmacro twice (e) `(begin ,e ,e))\n(defun add1 (x) (+ x 1))\n(twice (print (add1 1)))\n");
    let run = slight(&dir, &["expand", "--to", "core", "e.sl"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
    let out = &run.stdout;
    // `defun` is sugar: the core form is a definition of a lambda.
    assert!(out.contains("(define add1") && out.contains("(lambda add1 (x)"), "{run:?}");
    assert!(!out.contains("defun"), "{run:?}");
    // The macro use is expanded away: two calls of `print`, no `twice` call left.
    let last = &out[out.rfind("(define add1").expect("define")..];
    assert_eq!(last.matches("print").count(), 2, "{run:?}");
    assert!(!last.contains("twice"), "{run:?}");
    // Expanding runs nothing.
    assert!(!out.lines().any(|l| l == "2"), "{run:?}");

    // `core` is the default stage.
    let default = slight(&dir, &["expand", "e.sl"], None);
    assert_eq!(default.stdout, run.stdout, "{default:?}");
}

#[test]
fn expand_reports_read_errors() {
    let dir = TempDir::new("expand-err");
    dir.write("e.sl", "(print 1)\n(oops\n");
    for stage in ["sexp", "core"] {
        let run = slight(&dir, &["expand", "--to", stage, "e.sl"], None);
        assert_ne!(run.code, Some(0), "{run:?}");
        assert!(run.stderr.contains("e.sl:2:1"), "{run:?}");
        assert!(run.stderr.contains("unexpected end of input"), "{run:?}");
    }
}

// ---- missing files ----

#[test]
fn missing_file_gives_a_clear_error() {
    let dir = TempDir::new("missing");
    for args in [&["run", "nope.sl"][..], &["run", "--echo", "nope.sl"], &["disasm", "nope.sl"], &["expand", "nope.sl"]]
    {
        let run = slight(&dir, args, None);
        assert!(matches!(run.code, Some(c) if c != 0), "{args:?}: {run:?}");
        assert_eq!(run.stdout, "", "{args:?}: {run:?}");
        assert!(run.stderr.contains("cannot read nope.sl"), "{args:?}: {run:?}");
        assert!(run.stderr.contains("No such file"), "{args:?}: {run:?}");
    }
}

// ---- the REPL on piped stdin ----

#[test]
fn repl_evaluates_piped_input() {
    let dir = TempDir::new("repl");
    let run = slight(&dir, &[], Some("(def x 1)\n(+ x 41)\n"));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.lines().any(|l| l.ends_with("=> 42")), "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
    // `slight repl` is the same thing.
    let run = slight(&dir, &["repl"], Some("(def x 1)\n(+ x 41)\n"));
    assert!(run.stdout.lines().any(|l| l.ends_with("=> 42")), "{run:?}");
}

#[test]
fn repl_error_does_not_end_the_session() {
    let dir = TempDir::new("repl-err");
    let run = slight(&dir, &[], Some("(def x 5)\n(car x)\n(+ x \"a\")\n(* x 2)\n"));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("error[NameError]: Undefined symbol: car"), "{run:?}");
    assert!(run.stderr.contains("error[TypeError]"), "{run:?}");
    assert!(run.stderr.contains("<repl:2>:1:1"), "{run:?}");
    assert!(run.stdout.lines().any(|l| l.ends_with("=> 10")), "later form not evaluated:\n{run:?}");
}

#[test]
fn repl_reads_multi_line_forms() {
    let dir = TempDir::new("repl-multi");
    let run = slight(&dir, &[], Some("(+ 1\n 2)\n(defun f (x)\n  (* x\n     10))\n(f 4)\n"));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
    let results: Vec<&str> = run.stdout.lines().filter_map(|l| l.split_once("=> ").map(|(_, r)| r)).collect();
    assert_eq!(results, ["3", "true", "40"], "{run:?}");
}

#[test]
fn repl_prints_output_then_results() {
    let dir = TempDir::new("repl-out");
    let run = slight(&dir, &[], Some("(print \"hi\")\n(+ 1 2) (+ 3 4)\n\n\"s\"\n"));
    assert_eq!(run.code, Some(0), "{run:?}");
    let body: Vec<&str> = run.stdout.lines().skip_while(|l| !l.ends_with("hi")).collect();
    assert_eq!(body.len(), 5, "{run:?}");
    assert!(body[1].ends_with("=> nil"), "{run:?}");
    assert!(body[2].ends_with("=> 3"), "{run:?}");
    assert!(body[3].ends_with("=> 7"), "{run:?}");
    assert!(body[4].ends_with("=> \"s\""), "{run:?}");
}

/// `-I DIR` adds a directory that `include` searches after the including file's own directory.
#[test]
fn run_with_include_path() {
    let out = Command::new(env!("CARGO_BIN_EXE_slight"))
        .args(["run", "-I", "tests/lang/include/libdir", "tests/lang/include/basic.sl"])
        .output()
        .expect("run slight");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = std::env::temp_dir().join(format!("slight-cli-include-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("main.sl");
    std::fs::write(&prog, "(include \"_greet.sl\")\n(print (greet \"ada\"))\n").unwrap();
    let lib = std::fs::canonicalize("tests/lang/include/libdir").unwrap();
    let without = Command::new(env!("CARGO_BIN_EXE_slight")).arg("run").arg(&prog).output().unwrap();
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("cannot find \"_greet.sl\""));
    let with = Command::new(env!("CARGO_BIN_EXE_slight")).arg("run").arg("-I").arg(&lib).arg(&prog).output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(with.status.success(), "{}", String::from_utf8_lossy(&with.stderr));
    assert_eq!(String::from_utf8_lossy(&with.stdout), "hello, ada\n");
}

/// Ctrl-C in the REPL, in a real terminal (tmux): it stops a running evaluation with an
/// `Interrupted` error, and the session keeps its definitions. Skipped without tmux.
#[test]
fn ctrl_c_in_the_repl_stops_the_evaluation_and_keeps_the_session() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let session = format!("slight-ctrl-c-{}", std::process::id());
    let tmux = |args: &[&str]| Command::new("tmux").args(args).output().expect("tmux");
    let pause = |ms| std::thread::sleep(std::time::Duration::from_millis(ms));
    tmux(&["new-session", "-d", "-s", &session, "-x", "120", "-y", "40", env!("CARGO_BIN_EXE_slight")]);
    let screen = || String::from_utf8_lossy(&tmux(&["capture-pane", "-t", &session, "-p"]).stdout).into_owned();
    let wait_for = |text: &str| {
        for _ in 0..100 {
            if screen().contains(text) {
                return true;
            }
            pause(100);
        }
        false
    };
    let ok = wait_for("slight>");
    tmux(&["send-keys", "-t", &session, "(def x 41)", "Enter"]);
    let ok = ok && wait_for("=> true");
    tmux(&["send-keys", "-t", &session, "(loop () (recur))", "Enter"]);
    pause(500);
    tmux(&["send-keys", "-t", &session, "C-c"]);
    let interrupted = wait_for("error[Interrupted]: interrupted");
    tmux(&["send-keys", "-t", &session, "(+ x 1)", "Enter"]);
    let kept = wait_for("=> 42");
    let shown = screen();
    tmux(&["kill-session", "-t", &session]);
    assert!(ok && interrupted && kept, "REPL screen:\n{shown}");
}
