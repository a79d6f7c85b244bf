//! Embedding Slight in a Rust program: register Rust functions, evaluate Slight code, call Slight
//! functions from Rust, move values between the two, capture output, sandbox, and show errors.
//!
//! Run with `cargo run --example embed`.

use slight::{Value, Vm};

fn main() -> Result<(), slight::Error> {
    let mut vm = Vm::new();

    // A Rust closure becomes a Slight function; arguments and the result convert automatically
    // (a wrong argument type is a Slight `TypeError`, catchable with `try`).
    vm.register_fn("add", |a: i64, b: i64| a + b);

    // Returning `Result` lets a Rust function raise a Slight error.
    vm.register_fn("checked-sqrt", |x: f64| if x < 0.0 { Err("negative input") } else { Ok(x.sqrt()) });

    // Evaluate Slight source: definitions stay in the VM.
    vm.eval("(defun add3 (a b c) (add (add a b) c))")?;

    // Call a Slight function from Rust.
    let sum = vm.call("add3", &[Value::Int(1), Value::Int(2), Value::Int(3)])?;
    println!("(add3 1 2 3) = {}", sum.repr());

    // `eval` returns the value of the last form.
    let caught = vm.eval("(try (checked-sqrt -1.0) (catch e (error/message e)))")?;
    println!("caught from Rust: {}", caught.repr());

    // Globals: set from Rust, use in Slight, read back as Rust types.
    vm.set("limit", 10i64);
    vm.eval("(def doubled (* limit 2)) (def names (list \"ada\" \"grace\"))")?;
    let doubled: i64 = vm.get("doubled")?;
    let names: Vec<String> = vm.get("names")?;
    println!("doubled = {doubled}, names = {names:?}");

    // Program output (`print`, `say`) goes to stdout unless captured.
    let out = vm.capture_output();
    vm.eval("(print \"hello from Slight\" (add 40 2))")?;
    println!("captured: {:?}", out.borrow().as_str());

    // A sandboxed VM has no `fs`, `sys` or `include` capabilities: pure code runs, while
    // touching the file system or the environment is an error. Use it for untrusted code.
    let mut sandbox = Vm::sandboxed();
    println!("sandbox: {:?}", sandbox.capabilities());
    println!("sandbox computes: {}", sandbox.eval("(list/map (fun (x) (* x x)) (list 1 2 3))")?.repr());
    match sandbox.eval("(fs/read \"/etc/passwd\")") {
        Ok(v) => println!("unexpected: {}", v.repr()),
        Err(e) => println!("sandbox refused: {}", e.message),
    }

    // Errors carry a kind, a message, a position and a rendering with the source line.
    let err = vm.eval_named("script.sl", "(defun f (x)\n  (+ x \"one\"))\n(f 1)").unwrap_err();
    println!("kind = {}, message = {}", err.kind, err.message);
    print!("{}", err.rendered);

    Ok(())
}
