//! The `memory` limit, with the counting allocator installed as this test binary's global
//! allocator (as an embedder does): growth of every kind stops with a `LimitError` before the
//! host runs out of memory, and the VM is usable afterwards.

use slight::{CountingAllocator, Limits, Value, Vm};

#[global_allocator]
static ALLOC: CountingAllocator<std::alloc::System> = CountingAllocator(std::alloc::System);

#[test]
fn growth_of_every_kind_stops_at_the_memory_limit() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let mut vm = Vm::sandboxed();
            // No size limits: only memory stops these.
            vm.set_limits(Limits { memory: Some(64 << 20), ..Limits::default() });
            let _out = vm.capture_output();
            for src in [
                "(loop ((l nil)) (recur (cons 1 l)))",
                "(loop ((s \"ab\")) (recur (string/concat s s)))",
                "(loop ((l (list 1))) (recur (list/append l l)))",
                "(def m (map/create)) (loop ((i 0)) (map/set! m i (list i i)) (recur (+ i 1)))",
                "(loop ((fs nil)) (recur (cons (let ((x fs)) (fun () x)) fs)))",
                "(loop () (spawn (fun () (receive (x x)))) (recur))",
                "(loop () (send (self) (list/range 0 100)) (recur))",
                "(try (loop ((l nil)) (recur (cons 1 l))) (catch e :caught))",
            ] {
                let e = vm.eval(src).expect_err(src);
                assert_eq!(e.kind, "LimitError", "{src}: {}", e.rendered);
                assert!(e.message.contains("memory limit"), "{src}: {}", e.message);
                assert!(e.location.as_deref().is_some_and(|l| l.starts_with("<eval>:1:")), "{src}: {}", e.rendered);
                assert_eq!(vm.eval("(+ 1 2)").unwrap(), Value::Int(3), "usable after {src}");
                // What the script held is freed once the error has unwound it.
                vm.eval("(def m nil)").unwrap();
                while vm.try_receive().is_some() {}
            }
            // The spawned processes still wait (they hold their memory) until they are killed.
            vm.eval("(list/map (fun (p) (if (!= p (self)) (kill p))) (processes))").unwrap();
            vm.run();
            assert!(vm.memory_in_use() < 16 << 20, "{} bytes still in use", vm.memory_in_use());
        })
        .unwrap()
        .join()
        .unwrap();
}
