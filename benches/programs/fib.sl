; fib: naive doubly-recursive Fibonacci (non-tail recursion, ~7M calls).
; Exercises: function calls, integer arithmetic, comparisons, call stack depth ~30.
; n = 32 rather than 30 so that Lua 5.4 runs for ~0.15 s (fib(30) takes ~0.05 s,
; too short to time reliably).
; Expected output: 2178309

(defun fib (n)
  (if (< n 2)
      n
      (+ (fib (- n 1)) (fib (- n 2)))))

(print (fib 32))
