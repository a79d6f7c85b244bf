//! Processes across the two paths: compiled functions (from `slight!`) and VM functions (from
//! `vm.eval`) spawn each other and exchange messages on one scheduler, and the Rust host takes
//! part through `Vm::spawn`/`send`/`try_receive`/`run`.
//!
//! Compiled code cannot pause yet (issue 5): a compiled process that waits blocks in place, so
//! long-lived servers here are VM functions, and compiled processes are clients or one-shot
//! workers.

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
