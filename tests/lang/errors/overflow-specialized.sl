; integer overflow inside an untyped function that the compiled path specializes for
; integers: the same error and position as generic code
(defun square (x) (* x x))
(defun sum-squares (a b) (+ (square a) (square b)))
(print (sum-squares 3 4))
(sum-squares 3 3037000500)
