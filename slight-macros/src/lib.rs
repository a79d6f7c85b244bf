//! Proc macros for Slight's compiled path. The `slight!` macro lands with the compiled-path
//! work; this crate exists now so the workspace layout is final.

// The `slight!` macro will read its input through this module; until it lands nothing calls it.
#[allow(dead_code)]
mod tokens;
