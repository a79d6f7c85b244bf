//! Calls with a number of arguments the callee cannot take: a function of the same block and a
//! builtin.
mod same_block {
    slight::slight! {
        (defun add (a b) (+ a b))
        (defun f () (add 1 2 3))
    }
}

mod builtin {
    slight::slight! {
        (defun g (xs) (cons 1 xs 2))
    }
}

fn main() {}
