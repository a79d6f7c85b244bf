//! The Rust lowering: resolved Core Forms → Rust-AST s-expressions (see
//! [`rust_ast`](crate::rust_ast) for the format).
//!
//! * [`typed`]: typed numeric functions become plain native Rust functions (`fn(i64) -> i64`).
//! * [`dynamic`]: everything else becomes Rust over the runtime's `Value`, calling the runtime
//!   support library (`slight::__rt`) for operations, calls, globals and errors.
//! * [`inline`]: before a function is specialized, the closures it builds and only calls are
//!   inlined away (Core Forms → Core Forms).

pub mod dynamic;
pub mod inline;
pub mod typed;

pub use typed::*;
