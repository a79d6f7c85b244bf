//! Processes from the host's side: spawning and messaging from Rust, driving the scheduler to
//! completion, for a bounded number of slices and as a `Future`, and the virtual clock that
//! makes `after` timeouts deterministic. (The language side is `tests/lang/processes/`.)

use slight_runtime::{Value, Vm};

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {}", other.repr()),
    }
}

#[test]
fn host_spawns_sends_and_receives() {
    let mut vm = Vm::new();
    vm.eval("(defun doubler () (receive ((from n) (send from (* 2 n)) (doubler))))").unwrap();
    let f = vm.global("doubler").unwrap();
    let pid = vm.spawn(&f, &[]);
    for n in 1..=3 {
        assert!(vm.send(pid, &Value::list_from(vec![Value::Pid(1), Value::Int(n)])));
    }
    let blocked = vm.run();
    assert_eq!(blocked, vec![pid], "the doubler waits for more");
    let got: Vec<i64> = std::iter::from_fn(|| vm.try_receive()).map(|(_, v)| int(&v)).collect();
    assert_eq!(got, vec![2, 4, 6]);
    assert!(!vm.send(999, &Value::Nil), "unknown pid");
}

#[test]
fn run_slices_bounds_the_work_of_an_endless_loop() {
    let mut vm = Vm::new();
    vm.eval("(defun spin (n) (spin (+ n 1)))").unwrap();
    let spin = vm.global("spin").unwrap();
    let pid = vm.spawn(&spin, &[Value::Int(0)]);
    vm.run_slices(10);
    assert!(vm.eval("(is-alive? (list/nth (processes) 1))").is_ok());
    assert_eq!(vm.process_count(), 2);
    vm.eval("(kill (list/nth (processes) 1))").unwrap();
    assert_eq!(vm.process_count(), 1, "{pid} was killed");
}

#[test]
fn virtual_clock_makes_timeouts_deterministic() {
    let mut vm = Vm::new();
    vm.use_virtual_clock();
    let started = std::time::Instant::now();
    let v = vm
        .eval("(list (receive (x x) (after 60000 :a-minute-later)) (begin (timer/sleep 3600000) :an-hour-later))")
        .unwrap();
    assert_eq!(v.repr(), "(:a-minute-later :an-hour-later)");
    assert!(started.elapsed().as_secs() < 5, "no real waiting");
}

#[test]
fn run_async_completes_in_an_executor() {
    let mut vm = Vm::new();
    vm.eval("(def me (self))").unwrap();
    vm.eval("(spawn (fun () (timer/sleep 5) (send me :done)))").unwrap();
    let blocked = futures::executor::block_on(vm.run_async());
    assert!(blocked.is_empty());
    assert_eq!(vm.try_receive().map(|(_, v)| v.repr()), Some(":done".to_string()));
}

#[test]
fn a_deadlocked_receive_is_an_error_not_a_hang() {
    let mut vm = Vm::new();
    let e = vm.eval("(receive (:never 1))").unwrap_err();
    assert!(e.message.contains("deadlock"), "{}", e.message);
    assert_eq!(e.location.as_deref(), Some("<eval>:1:1"));
    // The VM is fine afterwards.
    assert_eq!(int(&vm.eval("(+ 1 2)").unwrap()), 3);
}

#[test]
fn messages_to_the_host_arrive_as_a_stream() {
    use futures::StreamExt;
    let mut vm = Vm::new();
    vm.eval("(def me (self)) (spawn (fun () (loop ((i 0)) (when (< i 3) (timer/sleep 2) (send me (* i 10)) (recur (+ i 1))))))")
        .unwrap();
    let got: Vec<String> = futures::executor::block_on(vm.messages().map(|(_, v)| v.to_string()).collect());
    assert_eq!(got, vec!["0", "10", "20"]);
}

#[test]
fn virtual_clock_times_out_receives_in_spawned_processes() {
    let mut vm = Vm::new();
    vm.use_virtual_clock();
    let started = std::time::Instant::now();
    vm.eval(
        "(def me (self))
         (spawn (fun () (send :me-not-registered 1)))
         (spawn (fun () (send me (list :a (receive (:never 1) (after 60000 :late))))))
         (spawn (fun () (send me (list :b (receive (:never 1) (after 1000 :sooner))))))",
    )
    .unwrap();
    let v = vm.eval("(list (receive ((t r) (list t r))) (receive ((t r) (list t r))))").unwrap();
    assert_eq!(v.repr(), "((:b :sooner) (:a :late))", "the shorter timeout fires first");
    assert!(started.elapsed().as_secs() < 5, "no real waiting");
}

#[test]
fn an_error_typed_like_the_pause_marker_is_an_ordinary_error() {
    let mut vm = Vm::new();
    let v =
        vm.eval("(try (throw (error \"x\" \"%pause\")) (catch e (list (error/type e) (error/message e))))").unwrap();
    assert_eq!(v.repr(), "(\"%pause\" \"x\")");
    vm.eval("(def me (self)) (def p (spawn (fun () (throw (error \"x\" \"%pause\")))))").unwrap();
    vm.eval("(monitor p)").unwrap();
    let v = vm.eval("(receive ((down _ reason) (error/type reason)))").unwrap();
    assert_eq!(v.repr(), "\"%pause\"", "the process ended with that error instead of pausing forever");
}
