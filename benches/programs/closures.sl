; closures: closure-heavy loop. Each of 1,000,000 iterations builds two adder
; closures, composes them into a third closure, and calls the composition twice
; (6 closure calls per iteration).
; Exercises: closure creation, captured variables, calls through closure values.
; h(x) = x + 1 + i, so (h (h i)) = 3i + 2; the sum over i = 1..N is 3N(N+1)/2 + 2N.
; Expected output: 1500003500000

(defun make-adder (n)
  (fun (x) (+ x n)))

(defun compose (f g)
  (fun (x) (f (g x))))

(defun closure-loop (i acc)
  (if (== i 0)
      acc
      (let ((h (compose (make-adder i) (make-adder 1))))
        (closure-loop (- i 1) (+ acc (h (h i)))))))

(print (closure-loop 1000000 0))
