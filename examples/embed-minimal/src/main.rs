//! Embedding Slight with `default-features = false`: a VM with the whole standard library and
//! processes, and no GPU, image, compiled-path or CLI dependencies. Builtins of a feature this
//! build lacks are still there, and calling one is a clear Slight error.
//!
//! Run with `cargo run --manifest-path examples/embed-minimal/Cargo.toml`.

use slight::{Value, Vm};

fn main() -> Result<(), slight::Error> {
    let mut vm = Vm::new();
    vm.register_fn("add", |a: i64, b: i64| a + b);
    let out = vm.capture_output();
    vm.eval(
        r#"
        (defun square (x) (* x x))
        (say (list/map square (list/range 1 6)))
        (def counts (map/create))
        (for-each-word "the cat and the hat" counts)
        "#,
    )
    .err(); // `for-each-word` is not defined: the error is a value, and the VM keeps going
    vm.eval(
        r#"
        (defun count-words (text)
          (list/reduce (fun (m w) (map/set! m w (+ 1 (or (map/get m w) 0))) m)
                       (map/create) (string/split text " ")))
        (say (json/stringify (count-words "the cat and the hat")))
        (def worker (spawn (fun () (receive ((:double n from) (send from (* 2 n)))))))
        (send worker (list :double 21 (self)))
        (say (receive (n (add n 0)) (after 1000 :timeout)))
        "#,
    )?;
    for call in [
        "(gpu/run 1 :grid 1)",
        "(gpu/info)",
        "(defkernel k ((xs (array f32))) (set-at! xs 0 1.0))",
        r#"(image/write-png "x.png" 1 1 (list 0))"#,
    ] {
        let message = vm.eval(&format!("(try {call} (catch e (error/message e)))"))?;
        match message {
            Value::Str(s) => println!("{}", s.as_str()),
            other => println!("unexpected: {}", other.repr()),
        }
    }
    print!("{}", out.borrow());
    Ok(())
}
