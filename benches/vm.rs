//! Criterion benchmarks of the embedding hot paths: evaluating a small expression on a warm VM
//! (read + expand + compile + run), and calling already-compiled Slight functions from Rust.
//!
//! Run with `cargo bench --bench vm`. The whole-program comparisons against other languages
//! live in `benches/programs/` and `benches/compare.py`.

use criterion::{criterion_group, criterion_main, Criterion};
use slight::{Value, Vm};
use std::hint::black_box;
use std::time::Duration;

fn warm_vm() -> Vm {
    let mut vm = Vm::new();
    vm.eval("(defun add1 (x) (+ x 1))").unwrap();
    vm.eval("(defun fib (n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))").unwrap();
    // Sanity checks, and the first calls warm up any lazily built state.
    assert_eq!(vm.eval("(+ 1 2)").unwrap(), Value::Int(3));
    assert_eq!(vm.call("add1", &[Value::Int(41)]).unwrap(), Value::Int(42));
    assert_eq!(vm.call("fib", &[Value::Int(15)]).unwrap(), Value::Int(610));
    vm
}

fn bench_vm(c: &mut Criterion) {
    let mut vm = warm_vm();
    let mut group = c.benchmark_group("vm");
    group.measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1)).sample_size(30);

    // Source text to value: reader, expander, resolver, compiler and VM for one small form.
    // (Each eval also adds the source text to the VM's source map, so memory grows slowly.)
    group.bench_function("eval (+ 1 2)", |b| b.iter(|| vm.eval(black_box("(+ 1 2)")).unwrap()));

    // Rust -> Slight call overhead: global lookup by name, frame setup, one add, return.
    let arg = [Value::Int(41)];
    group.bench_function("call add1", |b| b.iter(|| vm.call(black_box("add1"), black_box(&arg)).unwrap()));

    // A call that does real work in the VM: 1973 Slight calls.
    let n = [Value::Int(15)];
    group.bench_function("call fib 15", |b| b.iter(|| vm.call(black_box("fib"), black_box(&n)).unwrap()));

    group.finish();
}

criterion_group!(benches, bench_vm);
criterion_main!(benches);
