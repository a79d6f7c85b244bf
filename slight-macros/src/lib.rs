//! The `slight!` and `include_slight!` proc macros: Slight compiled to Rust at build time.
//!
//! A thin layer: each macro hands its tokens to the `expand` module, which calls the compiled
//! path's driver (`slight_runtime::native::driver`) and returns tokens or `syn::Error`s; errors
//! become `compile_error!`s at the offending Slight tokens, every error of a block at once.
//! Nothing here may panic on any input; as a last resort a panic is caught and reported as an
//! error at the call.

use proc_macro2::{Span, TokenStream};
use std::panic::{catch_unwind, AssertUnwindSafe};

mod expand;
mod tokens;

/// Slight code compiled to Rust at build time.
///
/// A block of definitions (`defun`, `def`, `defmacro`, `defclass`, `include`, … or several
/// forms) expands to Rust items: a public Rust function per top-level `defun` (a plain native
/// function when the `defun` is fully typed), plus `register`, `run` and `run_each`. Put each
/// such block in its own module. A single form that is not a definition is an expression; its
/// free names that Slight does not know are Rust variables, and its value converts to the
/// Rust type the context asks for:
///
/// ```ignore
/// mod math {
///     slight::slight! {
///         (defun fib:i64 (n:i64) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
///     }
/// }
/// assert_eq!(math::fib(10), 55);
/// let n = 21;
/// let v: i64 = slight::slight!{ (* n 2) };
/// ```
///
/// Rust's lexer reads the input, so `;` comments, `#` and `{ }` are not available; write
/// `slight!(r#"..."#)` (one raw string) for the full syntax.
#[proc_macro]
pub fn slight(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    guarded(move || expand::slight(input.into())).into()
}

/// Compiles a Slight file (path relative to `CARGO_MANIFEST_DIR`) into Rust items, like a
/// `slight!` block of definitions. `include` inside it looks in the file's own directory. The
/// crate is rebuilt when the file or anything it includes changes.
///
/// ```ignore
/// mod lib { slight::include_slight!("src/lib.sl"); }
/// ```
#[proc_macro]
pub fn include_slight(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    guarded(move || expand::include_slight(input.into())).into()
}

/// Runs `f`; its errors, or a panic, become `compile_error!`s (a panic's at the macro call).
fn guarded(f: impl FnOnce() -> syn::Result<TokenStream>) -> TokenStream {
    let result = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let message = format!("internal error in the Slight compiler (please report): {what}");
        Err(syn::Error::new(Span::call_site(), message))
    });
    result.unwrap_or_else(syn::Error::into_compile_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_compile_errors() {
        let out = guarded(|| -> syn::Result<TokenStream> { panic!("boom") }).to_string();
        assert!(out.contains("compile_error") && out.contains("boom"), "{out}");
        let out = guarded(|| -> syn::Result<TokenStream> { panic!("{}", String::from("formatted")) }).to_string();
        assert!(out.contains("formatted"), "{out}");
    }
}
