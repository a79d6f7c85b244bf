//! Limits and interrupts under hostile scripts, on both paths: each script below would hang
//! or exhaust the host without them. Every case asserts the error kind, that `try` cannot
//! catch it (its `finally` still runs), and that the VM stays usable with its definitions.
//! Everything runs on a thread with a 2 MiB stack, as an embedder's worker thread might.

use slight::{Limits, Vm};
use std::time::{Duration, Instant};

mod compiled {
    slight::slight! {
        (defun c-spin () (loop () (recur)))
        (defun c-spin-in-try () (try (c-spin) (catch e :caught)))
        (defun c-deep (n) (+ 1 (c-deep n)))
        (defun t-spin:i64 (n:i64) (if (< n 0) n (t-spin (+ n 1))))
        (defun t-fib:i64 (n:i64) (if (< n 2) n (+ (t-fib (- n 1)) (t-fib (- n 2)))))
        (defun t-deep:i64 (n:i64) (+ 1 (t-deep n)))
    }
}

/// Runs `f` on a fresh thread with a 2 MiB stack and returns its result.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(2 << 20).spawn(f).expect("thread").join().expect("no panic")
}

/// A VM with both paths' definitions and the given limits.
fn vm_with(limits: Limits) -> Vm {
    let mut vm = Vm::new();
    compiled::register(&mut vm).expect("compiled module");
    vm.eval("(def kept 42) (defun spin () (loop () (recur)))").expect("definitions");
    vm.set_limits(limits);
    vm
}

/// `src` fails with an error of `kind` whose message contains `message`; the VM then still
/// evaluates and keeps its definitions.
fn assert_stops(vm: &mut Vm, src: &str, kind: &str, message: &str) {
    let e = vm.eval(src).expect_err(src);
    assert_eq!(e.kind, kind, "{src}: {}", e.rendered);
    assert!(e.message.contains(message), "{src}: {}", e.message);
    // Every stop is positioned: in the script, or in this file for `slight!` code.
    let at = e.location.clone().unwrap_or_default();
    assert!(at.starts_with("<eval>:") || at.contains("limits.rs:"), "{src}: no position: {}", e.rendered);
    assert_eq!(vm.eval("(+ kept 1)").expect("usable afterwards"), slight::Value::Int(43), "after {src}");
}

const SPINNERS: &[&str] = &[
    "(spin)",
    "(c-spin)",
    "(t-spin 0)",
    "(t-fib 200)",
    // Inside builtin callbacks and through eval and macros.
    "(list/sort (list 3 1 2) (fun (a b) (spin)))",
    "(list/map (fun (x) (c-spin)) (list 1))",
    "(eval '(spin))",
    "(defmacro m () (spin)) (m)",
    // `try` does not catch the stop, on either path.
    "(try (spin) (catch e :caught))",
    "(c-spin-in-try)",
];

#[test]
fn the_instruction_limit_stops_every_kind_of_endless_code() {
    on_small_stack(|| {
        let mut vm = vm_with(Limits { instructions: Some(100_000), ..Limits::default() });
        for src in SPINNERS {
            assert_stops(&mut vm, src, "LimitError", "instructions limit (100000) exceeded");
        }
        // The count starts again at each eval: a bounded loop under the limit runs.
        let v = vm.eval("(loop ((i 0)) (if (< i 50000) (recur (+ i 1)) i))").unwrap();
        assert_eq!(v, slight::Value::Int(50000));
    });
}

#[test]
fn the_instruction_count_is_exact_for_vm_loops() {
    let mut vm = vm_with(Limits { instructions: Some(1_000), ..Limits::default() });
    // A loop round is one tick (its backward jump): 1,000 rounds pass, 1,001 do not.
    vm.eval("(loop ((i 0)) (if (< i 1000) (recur (+ i 1)) i))").expect("1,000 rounds");
    let e = vm.eval("(loop ((i 0)) (if (< i 1001) (recur (+ i 1)) i))").unwrap_err();
    assert_eq!(e.message, "instructions limit (1000) exceeded");
    assert_eq!(e.location.as_deref(), Some("<eval>:1:30"), "at the recur: {}", e.rendered);
}

#[test]
fn the_deadline_stops_every_kind_of_endless_code() {
    on_small_stack(|| {
        let mut vm = vm_with(Limits { deadline: Some(Duration::from_millis(30)), ..Limits::default() });
        for src in SPINNERS.iter().chain(&["(receive (x x) (after 60000 :late))", "(timer/sleep 60000)"]) {
            let t = Instant::now();
            assert_stops(&mut vm, src, "LimitError", "deadline limit (30 ms) exceeded");
            assert!(t.elapsed() < Duration::from_secs(5), "{src} took {:?}", t.elapsed());
        }
    });
}

#[test]
fn finally_blocks_run_when_a_limit_stops_the_script() {
    let mut vm = vm_with(Limits { instructions: Some(10_000), ..Limits::default() });
    let e = vm.eval("(def ran 0) (try (spin) (catch e (set! ran -1)) (finally (set! ran 1)))").unwrap_err();
    assert_eq!(e.kind, "LimitError");
    assert_eq!(vm.eval("ran").unwrap(), slight::Value::Int(1), "finally ran, catch did not");
    // A finally that loops stops too (the stop is sticky until the eval returns).
    let e = vm.eval("(try (spin) (finally (spin)))").unwrap_err();
    assert_eq!(e.kind, "LimitError");
}

#[test]
fn an_interrupt_from_another_thread_stops_every_kind_of_endless_code() {
    on_small_stack(|| {
        let mut vm = vm_with(Limits::default());
        for src in SPINNERS.iter().chain(&["(receive (x x) (after 60000 :late))", "(timer/sleep 60000)"]) {
            let handle = vm.interrupt_handle();
            let t = Instant::now();
            let stopper = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                handle.interrupt();
            });
            assert_stops(&mut vm, src, "Interrupted", "interrupted");
            stopper.join().unwrap();
            assert!(t.elapsed() < Duration::from_secs(5), "{src} took {:?}", t.elapsed());
        }
    });
}

#[test]
fn the_progress_callback_sees_the_work_and_can_stop_it() {
    let mut vm = vm_with(Limits::default());
    let seen = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let s = seen.clone();
    vm.on_progress(move |p| {
        s.set(p.instructions);
        p.instructions < 50_000
    });
    assert_stops(&mut vm, "(spin)", "Interrupted", "progress callback");
    assert!(seen.get() >= 50_000, "{}", seen.get());
    vm.clear_progress();
}

#[test]
fn the_call_depth_limit_is_a_limit_error_on_both_paths() {
    on_small_stack(|| {
        let mut vm = vm_with(Limits { call_depth: Some(500), ..Limits::default() });
        vm.eval("(defun deep (n) (+ 1 (deep n)))").unwrap();
        for src in ["(deep 0)", "(c-deep 0)", "(t-deep 0)", "(try (deep 0) (catch e :caught))"] {
            assert_stops(&mut vm, src, "LimitError", "call_depth limit (500) exceeded");
        }
        // 400 levels are fine.
        vm.eval("(defun down (n) (if (== n 0) 0 (+ 1 (down (- n 1)))))").unwrap();
        assert_eq!(vm.eval("(down 400)").unwrap(), slight::Value::Int(400));
        // Without the limit, running out of frames is the ordinary, catchable stack overflow.
        vm.set_limits(Limits::default());
        assert_eq!(vm.eval("(try (deep 0) (catch e (error/type e)))").unwrap(), slight::Value::str("StackOverflow"));
    });
}

#[test]
fn the_output_limit_counts_bytes_written() {
    let mut vm = vm_with(Limits { output: Some(1_000), ..Limits::default() });
    let out = vm.capture_output();
    assert_stops(&mut vm, "(loop () (print \"0123456789\") (recur))", "LimitError", "output limit (1000 bytes)");
    assert!(out.borrow().len() <= 1_000, "{}", out.borrow().len());
    // The count starts again at each eval.
    vm.eval("(print \"again\")").expect("a new eval may write");
}

#[test]
fn size_limits_stop_doubling_before_it_allocates() {
    on_small_stack(|| {
        let limits = Limits { string_len: Some(1 << 20), collection_len: Some(100_000), ..Limits::default() };
        let mut vm = vm_with(limits);
        for (src, message) in [
            ("(loop ((s \"ab\")) (recur (string/concat s s)))", "string_len limit"),
            ("(loop ((s \"ab\")) (recur (string/join (list s s) \"\")))", "string_len limit"),
            ("(string/repeat \"ab\" 10000000)", "string_len limit"),
            ("(string/pad-start \"\" 10000000)", "string_len limit"),
            ("(loop ((l (list 1))) (recur (list/append l l)))", "collection_len limit"),
            ("(list/range 0 1000000)", "collection_len limit"),
            ("(string/split (string/repeat \"a\" 1000000) \"\")", "collection_len limit"),
            ("(try (string/repeat \"ab\" 10000000) (catch e :caught))", "string_len limit"),
        ] {
            assert_stops(&mut vm, src, "LimitError", message);
        }
    });
}

#[test]
fn sandboxed_vms_start_with_finite_limits() {
    let vm = Vm::sandboxed();
    let l = vm.limits();
    assert!(l.memory.is_some() && l.output.is_some() && l.call_depth.is_some());
    assert!(l.string_len.is_some() && l.collection_len.is_some());
    assert_eq!(*l, Limits::sandboxed());
}

#[test]
fn a_killed_process_cannot_catch_its_kill() {
    let mut vm = Vm::new();
    let v = vm
        .eval(
            "(def main (self))
             (def p (spawn (fun () (try (loop () (recur)) (catch e (loop () (recur))) (finally (send main :cleaned))))))
             (timer/sleep 5)
             (kill p)
             (timer/sleep 5)
             (is-alive? p)",
        )
        .unwrap();
    assert_eq!(v, slight::Value::Bool(false), "the process ended despite its catch");
    assert_eq!(
        vm.eval("(receive (m m) (after 0 :none))").unwrap(),
        slight::Value::keyword("cleaned"),
        "its finally ran"
    );
    // The main process cannot catch its own kill either.
    let e = vm.eval("(try (kill (self)) (catch e :caught))").unwrap_err();
    assert_eq!(e.kind, "ProcessExit", "{}", e.rendered);
    assert_eq!(vm.eval("(+ 1 2)").unwrap(), slight::Value::Int(3), "the VM is usable afterwards");
}

#[test]
fn a_deadline_stops_processes_run_by_the_host() {
    let mut vm = vm_with(Limits { deadline: Some(Duration::from_millis(30)), ..Limits::default() });
    vm.eval("(spawn spin) (spawn c-spin)").unwrap();
    let t = Instant::now();
    vm.run();
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(vm.process_count(), 1, "both spinners ended; the main process remains");
}

#[test]
fn the_interrupt_handle_is_send_sync_and_clone() {
    fn shareable<T: Send + Sync + Clone + 'static>(_: &T) {}
    let vm = Vm::new();
    let handle = vm.interrupt_handle();
    shareable(&handle);
    // Interrupting an idle VM does nothing to the next evaluation.
    handle.interrupt();
    let mut vm = vm;
    assert_eq!(vm.eval("(+ 1 2)").unwrap(), slight::Value::Int(3));
}
