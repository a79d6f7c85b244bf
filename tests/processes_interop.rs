//! Processes across the two paths: compiled functions (from `slight!`) and VM functions (from
//! `vm.eval`) spawn each other and exchange messages on one scheduler, and the Rust host takes
//! part through `Vm::spawn`/`send`/`try_receive`/`run`.
//!
//! A process spawned with a compiled function runs on its own stack and pauses like a VM
//! process (`slight-runtime/src/native/own_stack.rs`); the tests below also cover what is special to
//! it: a compiled server, preemption of a compiled endless loop, kill while it waits, and deep
//! recursion on its fixed stack.

use slight::{Value, Vm};

mod compiled {
    slight::slight! {
        // Asks a server (any path) to double n and waits for the answer.
        (defun ask-double (server n)
          (send server (list (self) n))
          (receive (answer answer) (after 1000 :timeout)))

        // A one-shot worker: sends (* 2 n) to whoever asked, then ends.
        (defun double-once (to n) (send to (* 2 n)))
    }
}

const VM_SERVER: &str = "(defun doubler () (receive ((from n) (send from (* 2 n)) (doubler)) (:stop :stopped)))";

#[test]
fn compiled_and_vm_processes_message_each_other() {
    let mut vm = Vm::new();
    compiled::register(&mut vm).unwrap();
    vm.eval(VM_SERVER).unwrap();
    // Compiled code (in the main process) asks a VM process.
    let v = vm.eval("(def server (spawn doubler)) (ask-double server 5)").unwrap();
    assert_eq!(v, Value::Int(10));
    // VM code asks a compiled process.
    let v = vm.eval("(spawn double-once (self) 21) (receive (x x))").unwrap();
    assert_eq!(v, Value::Int(42));
    // A compiled process asks a VM process, and reports to the main process.
    let v =
        vm.eval("(def me (self)) (spawn (fun () (send me (list :got (ask-double server 50))))) (receive ((:got n) n))");
    assert_eq!(v.unwrap(), Value::Int(100));
    vm.eval("(send server :stop)").unwrap();
    assert!(vm.run().is_empty(), "the server ended");
    assert_eq!(vm.process_count(), 1);
}

#[test]
fn the_host_messages_compiled_and_vm_processes() {
    let mut vm = Vm::new();
    compiled::register(&mut vm).unwrap();
    vm.eval(VM_SERVER).unwrap();
    let once = vm.global("double-once").unwrap();
    vm.spawn(&once, &[Value::Pid(1), Value::Int(4)]);
    let server = vm.spawn(&vm.global("doubler").unwrap(), &[]);
    vm.send(server, &Value::list_from(vec![Value::Pid(1), Value::Int(8)]));
    let blocked = vm.run();
    assert_eq!(blocked, vec![server], "the server waits for more");
    let mut answers: Vec<i64> =
        std::iter::from_fn(|| vm.try_receive()).map(|(_, v)| if let Value::Int(i) = v { i } else { -1 }).collect();
    answers.sort();
    assert_eq!(answers, vec![8, 16]);
}

mod own_stack {
    slight::slight! {
        // A long-lived compiled server: waits in receive, answers, loops.
        (defun counter (n)
          (receive ((from :get) (send from n) (counter n))
                   ((:add k) (counter (+ n k)))
                   (:stop n)))
        (defun spin (n) (spin (+ n 1)))
        (defun deep (n) (if (== n 0) 0 (+ 1 (deep (- n 1)))))
        (defun deep-reporter (to n) (send to (try (deep n) (catch e (error/message e)))))
        (defun tdeep:i64 (n:i64) (if (== n 0) 0 (+ 1 (tdeep (- n 1)))))
        (defun nest (n) (if (== n 0) 0 (list (quote +) 1 (nest (- n 1)))))
        (defun deep-eval (to n) (send to (try (eval (nest n)) (catch e (error/message e)))))
        (defun typed-reporter (to n) (send to (try (tdeep n) (catch e (error/message e)))))
    }
}

#[test]
fn a_vm_dropped_with_compiled_processes_waiting_unwinds_their_stacks() {
    let mut vm = Vm::new();
    own_stack::register(&mut vm).unwrap();
    vm.eval("(spawn counter 0) (spawn counter 1) (timer/sleep 1)").unwrap();
    assert_eq!(vm.blocked().len(), 2);
    drop(vm);
}

#[test]
fn compiled_processes_pause_are_preempted_and_can_be_killed() {
    let mut vm = Vm::new();
    own_stack::register(&mut vm).unwrap();
    let v = vm
        .eval(
            "(def c (spawn counter 0))
             (send c (list :add 5)) (send c (list :add 7))
             (send c (list (self) :get))
             (def spinner (spawn spin 0))
             (def total (receive (n n)))
             (timer/sleep 2)
             (def alive (is-alive? spinner))
             (kill spinner) (kill c)
             (timer/sleep 1)
             (list total alive (is-alive? spinner) (is-alive? c))",
        )
        .unwrap();
    assert_eq!(v.to_string(), "(12 true false false)");
    assert!(vm.run().is_empty());
}

#[test]
fn the_front_end_runs_on_a_process_stack() {
    // `eval` of a form nested as deep as the reader allows, inside a compiled process.
    let mut vm = Vm::new();
    own_stack::register(&mut vm).unwrap();
    let v = vm.eval("(spawn deep-eval (self) 120) (list (receive (m m)))").unwrap();
    assert_eq!(v.to_string(), "(120)");
    // Deeper than the reader allows: an error, as on the VM.
    let v = vm.eval("(spawn deep-eval (self) 5000) (receive (m m))").unwrap();
    assert!(v.to_string().contains("nested"), "{v}");
}

#[test]
fn deep_recursion_in_a_compiled_process_is_a_catchable_overflow() {
    let mut vm = Vm::new();
    own_stack::register(&mut vm).unwrap();
    let v = vm
        .eval("(spawn deep-reporter (self) 100) (spawn deep-reporter (self) 10000000) (list (receive (m m)) (receive (m m)))")
        .unwrap();
    assert_eq!(v.to_string(), "(100 stack overflow)");
    let v = vm
        .eval("(spawn typed-reporter (self) 100) (spawn typed-reporter (self) 10000000) (list (receive (m m)) (receive (m m)))")
        .unwrap();
    assert_eq!(v.to_string(), "(100 stack overflow)");
}
