(defun deep (n) (+ 1 (deep (- n 1))))
(deep 1)
