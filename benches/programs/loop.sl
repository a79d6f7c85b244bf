; loop: a tail-recursive counting loop of 10,000,000 iterations summing the counter.
; Exercises: proper tail calls (must run in constant stack), integer arithmetic.
; Expected output: 50000005000000  (= 10^7 * (10^7 + 1) / 2)

(defun count-down (i acc)
  (if (== i 0)
      acc
      (count-down (- i 1) (+ acc i))))

(print (count-down 10000000 0))
