; Deep non-tail recursion in a typed function: fine below the frame limit, a catchable
; stack overflow above it (on both paths: the compiled one runs it as native Rust).
(defun sum-to:i64 (n:i64) (if (== n 0) 0 (+ n (sum-to (- n 1)))))
(sum-to 100000)
(sum-to 1000000)
(try (sum-to 1000000) (catch e (error/message e)))
(sum-to 10)
