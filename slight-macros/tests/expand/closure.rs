//! A closure capturing a parameter: a function literal with its captured values in `env`.
slight::slight! {
    (defun make-adder (n) (fun (x) (+ x n)))
}

fn main() {}
