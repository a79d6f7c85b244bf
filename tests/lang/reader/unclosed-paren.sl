; the last form is never closed
(+ 1 2)
(list 1
  (+ 2 3)
