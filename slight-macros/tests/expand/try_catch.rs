//! `try` with `catch` and `finally`.
slight::slight! {
    (defun safe (f) (try (f) (catch e (error/message e)) (finally (print "done"))))
}

fn main() {}
