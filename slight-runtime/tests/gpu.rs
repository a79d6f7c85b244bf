//! The GPU from Rust: reading arrays back with the blocking and the asynchronous API, and
//! readback that suspends only the process waiting for it.

use slight_runtime::gpu::{self, BackendKind, Buffer};
use slight_runtime::Vm;

const PROGRAM: &str = "
(defkernel iota ((xs (array f32)))
  (set-at! xs (gpu/id) (* 0.5 (f32 (gpu/id)))))
(def xs (gpu/buffer 1000 :f32))
(gpu/run iota xs :grid 1000)
";

#[test]
fn arrays_read_back_from_rust_blocking_and_async() {
    let mut vm = Vm::new();
    vm.eval(PROGRAM).unwrap();
    let xs = vm.eval("xs").unwrap();
    let array = gpu::as_array(&xs).expect("an array");
    let blocking = Buffer::to_f32(&array.read_blocking().unwrap());
    let asynchronous = Buffer::to_f32(&futures::executor::block_on(array.read_async()).unwrap());
    assert_eq!(blocking.len(), 1000);
    assert_eq!(blocking, asynchronous);
    assert_eq!(blocking[999], 499.5);
    assert_eq!(vm.eval("(list/nth (gpu/to-list xs) 999)").unwrap().to_string(), "499.5");
    assert!(gpu::as_array(&vm.eval("42").unwrap()).is_none());
}

#[test]
fn readback_suspends_only_the_waiting_process() {
    if gpu::info().backend == BackendKind::Cpu {
        println!("SKIPPED readback_suspends_only_the_waiting_process: no GPU adapter (CPU readback never waits)");
        return;
    }
    // A reads back a large array; B sends ticks meanwhile. A tick arrives before A's result.
    let mut vm = Vm::new();
    let order = vm
        .eval(
            "
(defkernel fill ((out (array u32))) (set-at! out (gpu/id) (u32 (gpu/id))))
(def me (self))
(spawn (fun ()
  (let ((big (gpu/buffer 4000000 :u32)))
    (gpu/run fill big :grid 4000000)
    (send me (list :done (list/length (gpu/read big)))))))
(spawn (fun () (loop ((i 0)) (when (< i 50) (send me :tick) (recur (+ i 1))))))
(defun gather (acc n) (if (== n 0) (list/reverse acc) (gather (cons (receive (m m)) acc) (- n 1))))
(gather (list) 51)
",
        )
        .unwrap()
        .to_string();
    assert!(order.starts_with("(:tick"), "B did not run while A waited: {order}");
    assert!(order.contains("(:done 4000000)"), "{order}");
}
