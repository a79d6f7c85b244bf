; Closures that a function builds and only calls: the compiled path inlines them into the
; version it specializes for integer arguments (slight_core::lower::inline). Whatever the
; arguments, the results and errors must be those of generic code.
(defun make-adder (n) (fun (x) (+ x n)))
(defun make-scaler (k) (let ((k2 (* k 1))) (fun (x) (* x k2))))
(defun compose (f g) (fun (x) (f (g x))))
(defun closure-loop (i acc)
  (if (== i 0)
      acc
      (let ((h (compose (make-adder i) (make-adder 1))))
        (closure-loop (- i 1) (+ acc (h (h i)))))))
(closure-loop 1000 0)
(closure-loop 10 0.5)
(try (closure-loop 3 "x") (catch e (error/message e)))
; a lambda called where it is written, and a local bound to a lambda
(defun direct (n) ((fun (a b) (- a b)) n 3))
(direct 10)
(defun local-fn (n) (let ((sq (fun (x) (* x x)))) (+ (sq n) (sq (+ n 1)))))
(local-fn 4)
; shadowing: the closure sees the n of its definition, not the caller's
(defun shadow (n) (let ((f (make-adder 10)) (n 1000)) (f n)))
(shadow 1)
(defun shadow2 (x) (let ((f (fun (y) (+ x y)))) (let ((x 100)) (f x))))
(shadow2 1)
; a composed closure called in a loop
(defun sum-scaled (n k)
  (let ((f (compose (make-scaler k) (make-adder 1))))
    (loop ((i 0) (acc 0))
      (if (> i n) acc (recur (+ i 1) (+ acc (f i)))))))
(sum-scaled 100 3)
; overflow inside an inlined closure: the generic error
(defun big-step (n) (let ((f (make-scaler n))) (f n)))
(big-step 3037000499)
(big-step 3037000500)
(try (big-step 3037000500) (catch e (error/message e)))
; a closure that escapes is not inlined: the function stays generic
(defun keep (n) (let ((f (make-adder n))) (list (f 1) f)))
(head (keep 5))
((head (tail (keep 5))) 10)
; a closure that assigns what it captured
(defun counter (n) (let ((c 0) (inc (fun (k) (set! c (+ c k))))) (inc n) (inc n) c))
(counter 21)
; wrong number of arguments to a known closure: the generic error
(defun bad-arity (n) ((make-adder n) 1 2))
(try (bad-arity 1) (catch e (error/message e)))
; self application does not inline forever
(defun selfish (n) (let ((f (fun (g k) (if (== k 0) n (g g (- k 1)))))) (f f 3)))
(selfish 7)
; deep recursion through inlined calls: the frame limit is that of generic code
(defun make-dec (k) (fun (x) (- x k)))
(defun deep (n) (if (== n 0) 0 (+ 1 (deep ((make-dec 1) n)))))
; at the bottom, the inlined calls go two frames deeper than the recursion
(defun deeper (n) (if (== n 0) ((compose (make-dec 1) (make-dec 1)) 2) (+ 1 (deeper (- n 1)))))
(defun probe (lo hi)
  (loop ((n lo) (out (list)))
    (if (> n hi)
        (list/reverse out)
        (recur (+ n 1) (cons (try (deep n) (catch e (error/message e))) out)))))
(probe 199990 200000)
(loop ((n 199990) (out (list)))
  (if (> n 200000)
      (list/reverse out)
      (recur (+ n 1) (cons (try (deeper n) (catch e (error/message e))) out))))
; redefining a constructor at run time: callers use the new definition
(defun uses-adder (n) ((make-adder n) 100))
(uses-adder 1)
(eval '(defun make-adder (n) (fun (x) (- x n))))
(uses-adder 1)
(closure-loop 3 0)
(eval '(defun make-adder (n) (fun (x) (list x n))))
(uses-adder 1)
(try (closure-loop 3 0) (catch e (error/message e)))
; curried constructors and closures returning closures
(defun curry3 (a) (fun (b) (fun (c) (+ a (* b c)))))
(defun use-curry (x) (((curry3 x) 2) 3))
(use-curry 10)
(defun nested (n) ((((fun (a) (fun (b) (fun (c) (- a (- b c))))) n) 2) 3))
(nested 10)
; a known closure passed along and called under a loop
(defun apply-n (f n x) (if (== n 0) x (apply-n f (- n 1) (f x))))
(defun iterate (k) (let ((inc (make-scaler 2))) (loop ((i 0) (x 1)) (if (== i k) x (recur (+ i 1) (inc x))))))
(iterate 10)
(iterate 70)
