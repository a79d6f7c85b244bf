//! A type annotation that names no Slight type.
mod m {
    slight::slight! {
        (defun f (x:int64) (* x 2))
    }
}

fn main() {}
