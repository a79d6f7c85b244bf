(defun pick (x)
  (match x
    (1 'one)
    (2 'two)))
(pick 2)
(pick 3)
