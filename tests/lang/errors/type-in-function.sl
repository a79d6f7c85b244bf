; the position is that of the failing form inside the function body
(defun f (x)
  (+ x "a"))
(f 1)
