//! A fully typed defun becomes a plain native Rust function (plus its dynamic entry for the VM).
slight::slight! {
    (defun square:i64 (n:i64) (* n n))
}

fn main() {}
