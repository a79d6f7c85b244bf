(defun compute (xs)
  (let ((total 0))
    (list/length (list total (+ total bogus)))))
(compute (list 1 2))
