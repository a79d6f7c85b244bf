//! `slight!` in a Rust program: Slight compiled to Rust at build time.
//!
//! Run with `cargo run --example slight_macro`.

use slight::{slight, Value, Vm};

// A block of definitions becomes Rust items; give each block its own module.
mod lisp {
    slight::slight! {
        // fully typed: a plain `pub fn fib(n: i64) -> i64`
        (defun fib:i64 (n:i64) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))

        // untyped: `pub fn make_adder(vm: &mut Vm, args: &[Value]) -> Result<Value, Error>`
        (defun make-adder (n) (fun (x) (+ x n)))
        (defun empty? (xs) (== 0 (list/length xs)))
    }
}

fn main() -> Result<(), slight::Error> {
    // Typed functions are ordinary Rust functions.
    println!("fib(30) = {}", lisp::fib(30));

    // Untyped functions take a VM and Slight values.
    let mut vm = Vm::new();
    let add5 = lisp::make_adder(&mut vm, &[Value::Int(5)])?;
    vm.set("add5", add5);
    println!("(add5 37) = {}", vm.eval("(add5 37)")?);

    // `register` defines the block's functions in a VM, where evaluated code can call them.
    lisp::register(&mut vm)?;
    println!("((make-adder 40) 2) = {}", vm.eval("((make-adder 40) 2)")?);
    println!("(empty? (list)) = {}", vm.eval("(empty? (list))")?);

    // A single expression runs where it stands; Rust variables are visible in it and the
    // result converts to the type the context asks for.
    let words = vec!["compiled".to_string(), "at".to_string(), "build".to_string(), "time".to_string()];
    let sentence: String = slight! { (string/join words " ") };
    let total: i64 = slight! { (list/reduce + 0 (list/map string/length words)) };
    println!("{sentence} ({total} letters)");
    Ok(())
}
