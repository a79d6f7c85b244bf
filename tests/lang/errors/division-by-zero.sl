(let ((x 10))
  (print x)
  (math/div x 0))
