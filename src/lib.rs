//! Slight: a Lisp for Rust programs, compiled at build time or interpreted by a bytecode VM.
//!
//! ```
//! let v = slight::eval("(+ 1 2)").unwrap();
//! assert_eq!(v, slight::Value::Int(3));
//!
//! let mut vm = slight::Vm::new();
//! vm.register_fn("add", |a: i64, b: i64| a + b);
//! vm.eval("(defun twice (x) (add x x))").unwrap();
//! assert_eq!(vm.call("twice", &[slight::Value::Int(21)]).unwrap(), slight::Value::Int(42));
//! ```

pub mod runner;

pub use slight_core as core;
pub use slight_runtime::{Capabilities, Error, ErrorValue, FromValue, IntoValue, Output, Value, Vm};

/// Evaluates Slight source on a fresh VM and returns the value of the last form.
pub fn eval(src: &str) -> Result<Value, Error> {
    Vm::new().eval(src)
}

/// The README's Rust examples run as doctests, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
