//! A special form with the wrong shape: the error points at the form, not the macro call.
mod m {
    slight::slight! {
        (defun f (x)
            (let x (+ x 1)))
    }
}

fn main() {}
