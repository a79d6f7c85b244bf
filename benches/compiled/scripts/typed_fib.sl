; The typed fib of the compiled-path benchmark: lowers to a native
; `pub fn fib(n: i64) -> i64` with checked arithmetic.
(defun fib:i64 (n:i64)
  (if (< n 2)
      n
      (+ (fib (- n 1)) (fib (- n 2)))))
