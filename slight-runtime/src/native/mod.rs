//! The compiled path: Slight turned into Rust at build time, and the runtime that Rust calls.
//!
//! - [`driver`] (feature `codegen`), at build time: source → Rust-AST, one top-level form at a
//!   time like the VM (read → expand → resolve), then the lowering of `slight_core::lower`;
//!   used by `slight!`, `include_slight!`, `slight::build` and `slight expand --to rust`.
//! - [`rt`], at run time: what the generated Rust calls (re-exported by the facade as
//!   `slight::__rt`): calls, globals, error sites, stack growth. Its interface with the lowering
//!   is the table `slight_core::lower::rt_api`; every name there is checked to exist here.
//! - `own_stack`: compiled processes run on stacks of their own so that they can pause
//!   (feature `compiled`).

#[cfg(feature = "codegen")]
pub mod driver;
#[cfg(feature = "compiled")]
pub(crate) mod own_stack;
/// Without the `compiled` feature: no process runs on a stack of its own.
#[cfg(not(feature = "compiled"))]
#[path = "own_stack_off.rs"]
pub(crate) mod own_stack;
pub mod rt;
