//! A Slight script compiled to Rust at build time (`build.rs` → `$OUT_DIR/inventory.rs`),
//! called directly from Rust and, after `register`, from code evaluated on the VM.
//!
//! Run with `cargo run -p build-script-example`.

use slight::{FromValue, IntoValue, Value, Vm};

mod inventory {
    include!(concat!(env!("OUT_DIR"), "/inventory.rs"));
}

fn main() -> Result<(), slight::Error> {
    // Typed functions are plain Rust functions: no VM, no Value.
    println!("restock-cost 120 x 250 = {}", inventory::restock_cost(120, 250));
    println!("fib 30 = {}", inventory::fib(30));

    // Untyped functions run against a VM; `register` runs the script's top-level forms there
    // and defines its functions as globals.
    let mut vm = Vm::new();
    inventory::register(&mut vm)?;
    let line = inventory::describe(&mut vm, &["apples".into_value(), Value::Int(3)])?;
    println!("{}", String::from_value(&line).expect("a string"));
    let counts = vec![3i64, 5, 8].into_value();
    println!("total = {}", inventory::total(&mut vm, &[counts])?);

    // A closure made by compiled code, called from Rust.
    let counter = inventory::make_counter(&mut vm, &[Value::Int(0)])?;
    for _ in 0..2 {
        let n = vm.call_value(&counter, &[]).map_err(|e| vm.to_error(&e))?;
        println!("counter -> {n}");
    }

    // Interop: code evaluated on the VM calls the compiled functions and the compiled closure
    // stored in a global by the script.
    let v = vm.eval(
        r#"(list (fib 20)
                 (restock-cost 10 99)
                 (describe "pears" 1)
                 (next-order-id)
                 (next-order-id))"#,
    )?;
    println!("from the VM: {}", v.repr());
    let orders: Vec<String> = vm
        .eval(r#"(list/map (fun (c) (describe "crate" c)) (list 1 2))"#)
        .and_then(|v| Vec::<String>::from_value(&v).map_err(|e| vm.to_error(&std::rc::Rc::new(e))))?;
    println!("mapped: {}", orders.join(", "));

    // Errors from compiled code are ordinary Slight errors with positions in the script.
    let err = vm.eval("(restock-cost 10 \"lots\")").unwrap_err();
    println!("error at {}: {}", err.location.as_deref().unwrap_or("?"), err.message);
    Ok(())
}
