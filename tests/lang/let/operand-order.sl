; Operands are evaluated left to right: a local read before a later operand assigns it keeps
; its old value, on both paths, in calls, operators, comparisons and `recur`.
(let ((x 1)) (list x (begin (set! x 10) x)))
(let ((x 1)) (+ x (begin (set! x 10) x)))
(defun three (a b c) (list a b c))
(let ((x 1)) (three x (begin (set! x 2) x) x))
(defun f (x) (+ x (begin (set! x 10) x)))
(f 1)
(let ((x 5)) (if (< x (begin (set! x 100) 6)) :lt :ge))
(let ((x 1)) (cons x (begin (def x 7) (list x))))
(loop ((i 0) (acc ())) (if (< i 3) (recur (+ i 1) (cons i (begin (set! i (+ i 10)) acc))) acc))
; an assignment inside a nested function body does not run while the operands are evaluated
(let ((x 1)) (list x (fun () (set! x 2)) x))
