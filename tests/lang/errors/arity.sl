(defun two (a b) (+ a b))
(two 1 2)
(two 1 2 3)
