//! Async host functions (`Vm::register_async_fn`): a call suspends only the calling process;
//! the others run while the future is pending; errors come back as Slight errors; the main
//! process, compiled-free VM code and `run_async` inside a host executor all wait correctly.

use futures::channel::oneshot;
use slight_runtime::{ErrorValue, Value, Vm};
use std::time::Duration;

/// `(fetch ms value)`: a future completed by another thread after `ms` milliseconds.
fn register_fetch(vm: &mut Vm) {
    vm.register_async_fn("fetch", |args: Vec<Value>| {
        let ms = match args.first() {
            Some(Value::Int(ms)) => *ms as u64,
            _ => 0,
        };
        let value = args.get(1).cloned().unwrap_or(Value::Nil);
        let (tx, rx) = oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            let _ = tx.send(());
        });
        async move {
            rx.await.map_err(|_| ErrorValue::new("Error", "fetch: cancelled"))?;
            Ok(value)
        }
    });
    vm.register_async_fn("fail-later", |_args: Vec<Value>| async {
        Err(ErrorValue::new("IOError", "no route to host"))
    });
}

#[test]
fn the_main_process_waits_for_a_host_future() {
    let mut vm = Vm::new();
    register_fetch(&mut vm);
    assert_eq!(vm.eval("(fetch 20 42)").unwrap(), Value::Int(42));
    let msg = vm.eval("(try (fail-later) (catch e (list (error/type e) (error/message e))))").unwrap();
    assert_eq!(msg.to_string(), "(IOError no route to host)");
}

#[test]
fn only_the_calling_process_waits() {
    let mut vm = Vm::new();
    register_fetch(&mut vm);
    let order = vm
        .eval(
            "
(def me (self))
(spawn (fun () (send me (list :fetched (fetch 50 :data)))))
(spawn (fun () (loop ((i 0)) (when (< i 3) (send me (list :tick i)) (timer/sleep 5) (recur (+ i 1))))))
(defun gather (acc n) (if (== n 0) (list/reverse acc) (gather (cons (receive (m m)) acc) (- n 1))))
(gather (list) 4)
",
        )
        .unwrap()
        .to_string();
    assert_eq!(order, "((:tick 0) (:tick 1) (:tick 2) (:fetched :data))");
}

#[test]
fn run_waits_for_pending_host_futures() {
    let mut vm = Vm::new();
    register_fetch(&mut vm);
    vm.eval("(def me (self)) (spawn (fun () (send me (fetch 30 7))))").unwrap();
    assert!(vm.run().is_empty());
    assert_eq!(vm.try_receive().map(|(_, v)| v), Some(Value::Int(7)));
}

#[test]
fn run_async_is_woken_by_host_futures() {
    let mut vm = Vm::new();
    register_fetch(&mut vm);
    vm.eval("(def me (self)) (spawn (fun () (send me (fetch 30 8)) (send me (fetch 10 9))))").unwrap();
    let blocked = futures::executor::block_on(vm.run_async());
    assert!(blocked.is_empty());
    assert_eq!(vm.try_receive().map(|(_, v)| v), Some(Value::Int(8)));
    assert_eq!(vm.try_receive().map(|(_, v)| v), Some(Value::Int(9)));
}

#[test]
fn a_killed_process_drops_its_pending_future() {
    let mut vm = Vm::new();
    register_fetch(&mut vm);
    let v = vm
        .eval("(def p (spawn (fun () (fetch 10000 1)))) (timer/sleep 5) (kill p) (timer/sleep 1) (is-alive? p)")
        .unwrap();
    assert_eq!(v, Value::Bool(false));
    assert!(vm.run().is_empty());
}
