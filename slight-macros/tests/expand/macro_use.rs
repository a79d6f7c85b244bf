//! A macro defined and used in the same block: it runs at build time, only its expansion is
//! compiled.
slight::slight! {
    (defmacro twice (e) (list (quote +) e e))
    (defun double (x) (twice x))
}

fn main() {}
