//! A macro whose body raises an error while it expands, and a macro called with the wrong
//! shape of arguments.
mod raises {
    slight::slight! {
        (defmacro checked (x) (if (== x 0) (throw "checked: zero is not allowed") x))
        (defun f () (checked 0))
    }
}

mod shape {
    slight::slight! {
        (defmacro pair (a b) (list (quote list) a b))
        (defun g () (pair 1))
    }
}

fn main() {}
