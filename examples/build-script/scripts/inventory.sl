; inventory.sl: compiled to Rust by build.rs (slight::build::compile).

; Typed: a native Rust function `pub fn restock_cost(units: i64, price: i64) -> i64`
; with checked arithmetic.
(defun restock-cost:i64 (units:i64 price:i64)
  (if (> units 100)
      (- (* units price) (* (- units 100) 1))   ; 1 cent off per unit above 100
      (* units price)))

; Typed and recursive: native too.
(defun fib:i64 (n:i64)
  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))

; Untyped: take and return Slight values.
(defun describe (item count)
  (string/concat item ": " count (if (== count 1) " unit" " units")))

(defun total (counts)
  (list/reduce (fun (acc x) (+ acc x)) 0 counts))

; A closure: a counter with private state.
(defun make-counter (start)
  (let ((n start))
    (fun ()
      (set! n (+ n 1))
      n)))

; Top-level state, set up by register(&mut vm).
(def next-order-id (make-counter 1000))
