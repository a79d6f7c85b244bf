//! Every error of a block is reported at once, each at its own form: two malformed special
//! forms, a call with an impossible number of arguments in another block, and a form after the
//! first error that compiles (compilation goes on after an error).
mod forms {
    slight::slight! {
        (defun f (x) (let x (+ x 1)))
        (defun ok (x) (* x 2))
        (defun g () (set! 5 1))
    }
}

mod calls {
    slight::slight! {
        (defun add (a b) (+ a b))
        (defun h () (add 1))
        (defun k () (add 1 2 3))
    }
}

fn main() {}
