(defun ok () 1)

(defun bad () (+ 1 "x"))
(bad)
