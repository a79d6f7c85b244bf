//! An untyped defun: a function over `Value` and a public wrapper `greet(vm, args)`.
slight::slight! {
    (defun greet (name) (string/concat "hi " name))
}

fn main() {}
