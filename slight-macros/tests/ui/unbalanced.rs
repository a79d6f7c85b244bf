//! A form left open: only the raw-string form can say this (Rust's lexer balances brackets).
slight::slight!(
    r#"
    (defun ok () 1)
    (defun f (x)
      (+ x 1)
    "#
);

fn main() {}
