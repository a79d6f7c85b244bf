(defun add:i64 (a:i64 b:i64) (+ a b))
(add 1 "x")
