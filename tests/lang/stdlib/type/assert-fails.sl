(defun check (x) (type/assert x "number"))
(check 1)
(check "no")
